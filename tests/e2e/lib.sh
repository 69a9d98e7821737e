# shellcheck shell=bash
# Helpers for tests that build their own hosts: network namespaces joined
# by veth pairs, names unique to this run, everything removed on exit (also
# on failure). Traffic stays between the test's own namespaces.
#
# A test script sources this, defines test_* functions and calls run_tests.
# Each test prints PASS:/FAIL:/SKIP: lines that tests/run.sh counts.

SUITE=${SUITE:-$(basename "$0" .sh)}
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/netns.sh"

# bulk DST BYTES SEED [PORT]: sender -> receiver over TCP between the
# test's namespaces s$TAG and r$TAG; fails unless the receiver's SHA-256
# equals the sender's.
bulk() {
	local dst=$1 bytes=$2 seed=$3 port=${4:-7001} want got
	want=$("$XFER" gen "$bytes" "$seed" | sha256sum | cut -d' ' -f1)
	in_ns r$TAG timeout 150 "$XFER" recv $port | sha256sum | cut -d' ' -f1 >"$TMP/got.$port" &
	local rpid=$!
	sleep 0.2
	in_ns s$TAG timeout 120 "$XFER" send "$dst" $port "$bytes" "$seed" ||
		{ kill $rpid 2>/dev/null; fail "sender failed"; return 1; }
	wait $rpid
	got=$(cat "$TMP/got.$port")
	[[ "$got" == "$want" ]] || fail "SHA-256 differs: sent $want, received $got"
}

# stats: the receiver's `xgro stats --json` into $TMP/stats.json;
# stat_of PATH: one number of it
stats() { in_ns r$TAG "$XGRO" stats vr$TAG --json >"$TMP/stats.json"; }
stat_of() { json_get "$TMP/stats.json" "$1"; }

# json_get FILE PATH: a number from xgro's JSON (PATH like engine.csum_bad).
json_get() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1" "$2"
}

# leftovers NS IFACE: prints anything xgro left behind.
leftovers() {
	local ns=$1 ifc=$2
	in_ns "$ns" ip link show "$ifc" 2>/dev/null | grep -q " xdp" && echo "XDP program on $ifc"
	[[ -e /sys/fs/bpf/xgro/$ifc ]] && echo "pins in /sys/fs/bpf/xgro/$ifc"
	[[ -e /run/xgro/$ifc.pid || -e /run/xgro/$ifc.state ]] && echo "state in /run/xgro"
	in_ns "$ns" ip -br link | grep -q "^xg" && echo "tap: $(in_ns "$ns" ip -br link | grep '^xg')"
	true
}

# no_leftovers NS IFACE: fails naming whatever xgro left behind
no_leftovers() {
	local left
	left=$(leftovers "$1" "$2")
	[[ -z $left ]] || fail "left behind: $left"
}

run_tests() { # each test_* function: a PASS/FAIL/SKIP line
	local t out rc failed=0
	for t in $(declare -F | awk '{print $3}' | grep '^test_'); do
		if [[ -n "${ONLY:-}" && "$t" != *"$ONLY"* ]]; then
			continue
		fi
		# a subshell per test, with its own namespaces, processes and
		# files, all removed when it ends however it ends
		out=$( (
			NS=() PIDS=() TMP=$(mktemp -d /tmp/xgro-test.XXXXXX)
			trap cleanup EXIT
			"$t"
		) 2>&1)
		rc=$?
		if [[ $rc -eq 0 ]]; then
			echo "PASS: $SUITE/${t#test_}"
		elif [[ $rc -eq 77 ]]; then
			echo "SKIP: $SUITE/${t#test_}: $(echo "$out" | tail -1)"
		else
			echo "FAIL: $SUITE/${t#test_}: $(echo "$out" | tail -3 | tr '\n' ' ')"
			failed=1
		fi
		if [[ -n "${VERBOSE:-}" ]]; then
			echo "$out" | sed 's/^/    /'
		fi
	done
	return $failed
}

# expect_err CODE REGEX CMD...: exits CODE and says REGEX
expect_err() {
	local code=$1 re=$2 out rc
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	[[ $rc -eq $code ]] || fail "'$*' exited $rc, not $code: $out" || return 1
	echo "$out" | grep -Eq -- "$re" || fail "'$*' said '$out', not /$re/" || return 1
}

# fail MSG: end the current test as failed.
fail() { echo "$*"; return 1; }
