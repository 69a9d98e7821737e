#!/bin/bash
# Runs every test and ends with one line: "N passed, N failed[, N skipped]".
# Each test program prints PASS:/FAIL:/SKIP: lines; a program that dies
# without reporting counts as one failure. XGRO_TEST_NO_SKIP=1 (CI) makes
# every skip a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${BUILD:-build}
LOG=$B/test-log
mkdir -p "$LOG"
pass=0 fail=0 skip=0

run() { # name command...
	local name=$1 out rc
	shift
	out=$LOG/$name.out
	"$@" >"$out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP):' "$out"
	local p f s
	p=$(grep -c '^PASS:' "$out")
	f=$(grep -c '^FAIL:' "$out")
	s=$(grep -c '^SKIP:' "$out")
	if [[ $rc -ne 0 && $f -eq 0 ]]; then
		echo "FAIL: $name: exited $rc without a test result (see $out)"
		tail -5 "$out" | sed 's/^/    /'
		f=1
	elif [[ $f -gt 0 ]]; then
		echo "    (output: $out)"
	fi
	if [[ -n "${XGRO_TEST_NO_SKIP:-}" && $s -gt 0 ]]; then
		echo "    skips count as failures here (XGRO_TEST_NO_SKIP)"
		f=$((f + s))
		s=0
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

fuzz_smoke() {
	local dir=$B/fuzz/smoke-corpus art=$B/fuzz/artifacts
	rm -rf "$dir"
	mkdir -p "$dir" "$art"
	if "$B/fuzz/fuzz_engine" -runs="${FUZZ_RUNS:-100000}" -seed=1 \
		-artifact_prefix="$art/" "$dir" tests/fuzz/corpus; then
		echo "PASS: fuzz/engine: ${FUZZ_RUNS:-100000} runs from seed 1"
	else
		echo "FAIL: fuzz/engine: crash, artifact under $art"
		return 1
	fi
}

for t in "$B"/tests/test_*; do
	run "unit-$(basename "$t")" "$t"
done
for t in "$B"/tests/asan/test_*; do
	run "asan-$(basename "$t")" env ASAN_OPTIONS=detect_leaks=1 "$t"
done
run fuzz fuzz_smoke

# the benchmark must keep building and emitting well-formed rows; its
# figures are not judged here (machines are noisy)
bench_smoke() {
	local out
	out=$("$B/xgro-bench" --flows 1,64 --impl xgro,xgro-verify,xgro-fold \
		--secs 0.05 --repeat 1 --json 2>/dev/null) || {
		echo "FAIL: bench/smoke: xgro-bench failed"
		return 1
	}
	if echo "$out" | python3 -c 'import json,sys
rows=[json.loads(l) for l in sys.stdin]
assert len(rows)==6, rows
for r in rows:
    assert r["mpps"] > 0 and r["segs_per_out"] == 16, r'; then
		echo "PASS: bench/smoke: 6 rows, 16 segments per output"
	else
		echo "FAIL: bench/smoke: $out"
		return 1
	fi
}
run bench bench_smoke

# the tree keeps the style .clang-format sets (`make format` fixes it)
format_check() {
	local out
	if out=$(make -s --no-print-directory check 2>&1); then
		echo "PASS: check/format: the tree passes .clang-format"
	else
		echo "FAIL: check/format: $(echo "$out" | grep -c 'error:') lines (make format): $(echo "$out" | head -1)"
		return 1
	fi
}
run check format_check
for t in "$B"/tests/bpf/test_*; do
	run "bpf-$(basename "$t")" "$t"
done
for t in tests/bpf/test-*.sh tests/e2e/test-*.sh tests/vm/test-*.sh; do
	[[ -e "$t" ]] || continue
	run "$(basename "$t" .sh)" "$t"
done

line="$pass passed, $fail failed"
[[ $skip -gt 0 ]] && line+=", $skip skipped"
echo "$line"
[[ $fail -eq 0 ]]
