#!/bin/bash
# Steering only what pays: a flow that does not merge is released to the
# kernel path, new flows are refused while a worker cannot take them, and
# a flow that changes path mid-stream arrives intact and in order
# (README, "Steering only what pays"). A sender and a receiver namespace
# on one veth wire, xgro on the receiver.
SUITE=steer
source "$(dirname "$0")/lib.sh"

pre() {
	need_root || return 77
	[[ -x $XGRO && -x $XFER ]] || { echo "build first"; return 1; }
}


# ofo: segments the receiver's TCP had to queue out of order
ofo() {
	in_ns r$TAG awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else {
		for (i = 2; i <= NF; i++) if (k[i] == "TCPOFOQueue") print $i } }' \
		/proc/net/netstat
}

# bulk_bg DST BYTES SEED PORT [BPS]: starts a checked transfer (paced to
# BPS bytes/s if given); bulk_wait ends it
bulk_bg() {
	local dst=$1 bytes=$2 seed=$3 port=$4 pace=${5:-}
	"$XFER" gen "$bytes" "$seed" | sha256sum | cut -d' ' -f1 >"$TMP/want.$port"
	in_ns r$TAG timeout 150 "$XFER" recv "$port" | sha256sum | cut -d' ' -f1 >"$TMP/got.$port" &
	RPID=$!
	sleep 0.2
	in_ns s$TAG timeout 120 "$XFER" send "$dst" "$port" "$bytes" "$seed" $pace &
	SPID=$!
}
bulk_wait() {
	local port=$1
	wait "$SPID" || { kill "$RPID" 2>/dev/null; fail "sender failed"; return 1; }
	wait "$RPID"
	[[ $(cat "$TMP/got.$port") == $(cat "$TMP/want.$port") ]] ||
		fail "SHA-256 differs: sent $(cat "$TMP/want.$port"), received $(cat "$TMP/got.$port")"
}

test_request_response_released_for_no_merge() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	bg_ns r$TAG timeout 120 "$XFER" rr-server 7200
	sleep 0.2
	local out rx1 pr1
	out=$(in_ns s$TAG timeout 60 "$XFER" rr 10.99.0.2 7200 1000 1000) ||
		fail "request/response failed" || return 1
	echo "1000 rounds: $out"
	stats || return 1
	echo "released no-merge $(stat_of steering.released_no_merge), drained $(stat_of steering.drained), worker rx_frames $(stat_of engine.rx_frames), passed released $(stat_of xdp.pass_released)"
	[[ $(stat_of steering.released_no_merge) -eq 1 ]] || fail "not released for no-merge" || return 1
	[[ $(stat_of steering.drained) -eq 1 ]] || fail "release not completed" || return 1
	[[ $(stat_of steering.flows_now.released_by_reason.no_merge) -eq 1 ]] ||
		fail "the steer map does not say released (no-merge)" || return 1
	rx1=$(stat_of engine.rx_frames)
	pr1=$(stat_of xdp.pass_released)
	# a window of 16 outputs, the draining frame, the odd ACK: no more
	[[ $rx1 -le 40 ]] || fail "the worker took $rx1 frames of 1000 rounds" || return 1
	[[ $pr1 -ge 900 ]] || fail "only $pr1 frames passed as released" || return 1
	# the same connection later: kernel path only
	bg_ns r$TAG timeout 120 "$XFER" rr-server 7201
	sleep 0.2
	out=$(in_ns s$TAG timeout 60 "$XFER" rr 10.99.0.2 7201 1000 1000) || return 1
	echo "second connection: $out"
	stats || return 1
	# a new connection is a new flow: judged again, released again
	[[ $(stat_of steering.released_no_merge) -eq 2 ]] || fail "second flow not released" || return 1
	[[ $(stat_of engine.rx_frames) -le $((rx1 + 40)) ]] || fail "worker still receiving" || return 1
	[[ $(stat_of xdp.pass_released) -ge $((pr1 + 900)) ]] || fail "released frames not passed" || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q "released 2 (no-merge 2" || fail "status: releases" || return 1
}

test_bulk_stays_steered_and_merged() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	bulk_bg 10.99.0.2 $((50 << 20)) 1 7300
	bulk_wait 7300 || return 1
	stats || return 1
	local segs
	segs=$(python3 -c 'import json,sys
e=json.load(open(sys.argv[1]))["engine"]
print(e["segments_merged"]/max(e["superpackets_out"],1))' "$TMP/stats.json")
	echo "segments per super-packet: $segs, released $(stat_of steering.released)"
	python3 -c "import sys; sys.exit(0 if $segs > 10 else 1)" || fail "only $segs segments per super-packet" || return 1
	[[ $(stat_of steering.released) -eq 0 ]] || fail "a bulk flow was released" || return 1
	[[ $(stat_of xdp.pass_released) -eq 0 ]] || fail "frames passed as released" || return 1
}

test_release_mid_stream_keeps_order() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	local ofo0 ofo1 ofo_end st0 i
	# paced (100 MB/s), so that the receiver keeps up on the kernel path
	# too: out-of-order segments can then only come from the switch
	bulk_bg 10.99.0.2 $((200 << 20)) 2 7400 $((100 << 20))
	sleep 0.5
	stats || return 1
	st0=$(stat_of xdp.steered)
	ofo0=$(ofo)
	# every flow now merges "too little": the bulk flow is released
	in_ns r$TAG "$XGRO" set vr$TAG release-segs=64 || return 1
	for i in $(seq 250); do
		stats || return 1
		[[ $(stat_of steering.drained) -ge 1 ]] && break
		sleep 0.02
	done
	# whatever was redirected before the switch has reached TCP by now
	sleep 0.05
	ofo1=$(ofo)
	bulk_wait 7400 || return 1
	ofo_end=$(ofo)
	stats || return 1
	echo "refused: lagging $(stat_of steering.refused_lagging), pressure $(stat_of steering.refused_pressure)"
	echo "steered before the switch $st0, at the end $(stat_of xdp.steered); passed released $(stat_of xdp.pass_released); drained $(stat_of steering.drained); steered while draining $(stat_of steering.steered_draining); TCPOFOQueue $ofo0 before, $ofo1 after the switch, $ofo_end at the end"
	[[ $(stat_of steering.released_no_merge) -eq 1 ]] || fail "not released" || return 1
	[[ $(stat_of steering.drained) -eq 1 ]] || fail "drain not completed" || return 1
	[[ $(stat_of xdp.pass_released) -gt 10000 ]] || fail "the rest did not go on the kernel path" || return 1
	[[ $ofo1 -eq $ofo0 ]] || fail "out-of-order segments at the switch: $ofo0 -> $ofo1" || return 1
	[[ $(stat_of lost) -eq 0 ]] || fail "frames lost" || return 1
	# Later out-of-order segments are the receive buffer's, not ours: the
	# window was sized for 64 KB super-packets, and MTU skbs carry more
	# overhead per byte, so TCP prunes and drops while the window adapts
	# (TcpExtPruneCalled). A flow that really does not merge never had
	# such a window.
	true
}

test_admission_refused_while_worker_stopped() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	# a long heartbeat: stopped, the worker still looks alive, so only the
	# admission check stands between a new flow and a dead ring
	start_xgro r$TAG vr$TAG --heartbeat-ms 20000 || return 1
	kill -STOP "$XPID"
	sleep 0.2
	bulk_bg 10.99.0.2 $((20 << 20)) 3 7500
	bulk_wait 7500
	local rc=$?
	kill -CONT "$XPID"
	[[ $rc -eq 0 ]] || return 1
	stats || return 1
	echo "refused lagging $(stat_of steering.refused_lagging), pressure $(stat_of steering.refused_pressure), steered $(stat_of xdp.steered), passed released $(stat_of xdp.pass_released)"
	[[ $(stat_of steering.refused_lagging) -eq 1 ]] || fail "admission not refused" || return 1
	[[ $(stat_of xdp.steered) -eq 0 ]] || fail "frames went to the stopped worker" || return 1
	[[ $(stat_of xdp.pass_released) -gt 10000 ]] || fail "the flow did not take the kernel path" || return 1
	# back to normal: a new flow is admitted again
	bulk_bg 10.99.0.2 $((20 << 20)) 4 7501
	bulk_wait 7501 || return 1
	stats || return 1
	[[ $(stat_of xdp.steered) -gt 10000 ]] || fail "not admitted once the worker runs" || return 1
}

run_tests
