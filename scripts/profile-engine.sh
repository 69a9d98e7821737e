#!/bin/bash
# Instructions per frame under callgrind: xgro (trust, verify, fold, and
# trust fed the XDP program's hints) and DPDK's heavyweight mode on the
# same frames, collected only inside the feed/reassemble and flush calls.
# Deterministic, unlike timings on a shared VM.
#   scripts/profile-engine.sh DIR FLOWS[,FLOWS...] [MODE-to-annotate]
set -euo pipefail
dir=$1 flows=$2 annotate=${3:-}
hot=$dir/hotloop
frames=${FRAMES:-200000}

count() { # flows mode -> instructions per frame, or "-"
	local out=$dir/callgrind.$2.$1.out
	if ! valgrind --tool=callgrind --collect-atstart=no \
		--callgrind-out-file="$out" "$hot" "$1" "$2" "$frames" \
		>"$dir/run.$2.$1.log" 2>&1; then
		echo -
		return
	fi
	# frames actually fed: whole rounds of 16 per flow
	local fed
	fed=$(awk '/^frames/ { print $2 }' "$dir/run.$2.$1.log")
	awk -v n="$fed" '/^summary:/ { printf "%.0f", $2 / n }' "$out"
}

printf '%6s %8s %8s %8s %8s %10s %12s %12s\n' flows trust verify fold hinted dpdk-heavy trust/dpdk verify/dpdk
for f in ${flows//,/ }; do
	declare -A n=()
	for m in trust verify fold hinted dpdk; do
		n[$m]=$(count "$f" "$m")
	done
	ratio() { [[ ${n[dpdk]} != - ]] && awk -v a="$1" -v b="${n[dpdk]}" 'BEGIN { printf "%.2fx", a / b }' || echo -; }
	printf '%6s %8s %8s %8s %8s %10s %12s %12s\n' "$f" "${n[trust]}" "${n[verify]}" \
		"${n[fold]}" "${n[hinted]}" "${n[dpdk]}" "$(ratio "${n[trust]}")" "$(ratio "${n[verify]}")"
done
if [[ -n $annotate ]]; then
	f=${flows%%,*}
	echo
	echo "top functions, $annotate at $f flows:"
	callgrind_annotate "$dir/callgrind.$annotate.$f.out" | sed -n '/file:function/,/^$/p' | head -14
fi
