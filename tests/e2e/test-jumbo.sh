#!/bin/bash
# Jumbo frames: MTU 9000 on the wire, xgro attached with a multi-buffer
# XDP program and XDP_USE_SG sockets (frames chained across umem frames,
# joined for the engine). Bulk TCP must arrive intact and merged, no frame
# passed as too large. Skips where the kernel or driver has neither.
SUITE=jumbo
source "$(dirname "$0")/lib.sh"

pre() {
	need_root || return 77
	[[ -x $XGRO && -x $XFER ]] || { echo "build first"; return 1; }
}

jumbo_pair() {
	mk_pair s$TAG r$TAG || return 1
	ip -n s$TAG link set vs$TAG mtu 9000 || return 1
	ip -n r$TAG link set vr$TAG mtu 9000 || return 1
}

# in_effect: the status line, or skip saying why not
in_effect() {
	local j
	j=$(in_ns r$TAG "$XGRO" status vr$TAG --json | python3 -c 'import json,sys
print(json.load(sys.stdin)["instances"][0].get("jumbo", "?"))')
	echo "jumbo: $j"
	[[ $j == xdp.frags+XDP_USE_SG* ]] && return 0
	echo "multi-buffer XDP or XDP_USE_SG refused here ($j)"
	return 77
}

test_bulk_tcp_mtu_9000() {
	pre || return $?
	jumbo_pair || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 --release-segs 0 || return 1
	in_effect || return $?
	bulk 10.99.0.2 $((100 << 20)) 11 7101 || return 1
	bulk fd99::2 $((50 << 20)) 12 7102 || return 1
	stats || return 1
	local steered big segs
	steered=$(stat_of xdp.steered)
	big=$(stat_of xdp.pass_too_large)
	segs=$(stat_of engine.segments_per_superpacket)
	echo "steered $steered frames, $segs segments per super-packet, too large $big"
	[[ $steered -gt 10000 ]] || fail "only $steered frames steered" || return 1
	[[ $big -eq 0 ]] || fail "$big frames passed as too large" || return 1
	# every chained frame joined whole, every descriptor taken
	[[ $(stat_of engine.alone_not_flow) -eq 0 && $(stat_of engine.malformed) -eq 0 ]] ||
		fail "frames the engine could not parse: a chain joined wrong" || return 1
	[[ $(stat_of reconcile.reconciled) == True ]] ||
		fail "books do not balance: $(stat_of reconcile.difference)" || return 1
	python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 2)' "$segs" ||
		fail "not merged: $segs segments per super-packet"
}

run_tests
