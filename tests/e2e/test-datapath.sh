#!/bin/bash
# The data path end to end: a sender and a receiver namespace on one veth
# wire (sender offloads off: MTU frames with full checksums, as on a real
# wire), xgro attached on the receiver. Data must arrive intact and in
# order, merged, whatever the sender or xgro itself does.
SUITE=datapath
source "$(dirname "$0")/lib.sh"

pre() {
	need_root || return 77
	[[ -x $XGRO && -x $XFER ]] || { echo "build first"; return 1; }
}


# in_flight_zero: after traffic stops, every frame a worker took is back
in_flight_zero() {
	local n
	for _ in $(seq 40); do
		stats || return 1
		n=$(stat_of engine.frames_in_flight)
		[[ $n -eq 0 ]] && return 0
		sleep 0.05
	done
	fail "frames in flight after the traffic: $n"
}

segs_per_super() {
	python3 -c 'import json,sys
e=json.load(open(sys.argv[1]))["engine"]
print(e["segments_merged"]/max(e["superpackets_out"],1))' "$TMP/stats.json"
}

test_bulk_tcp_ipv4_and_ipv6() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	bulk 10.99.0.2 $((100 << 20)) 1 7001 || return 1
	bulk fd99::2 $((100 << 20)) 2 7002 || return 1
	stats || return 1
	local segs
	segs=$(segs_per_super)
	echo "segments per super-packet: $segs"
	python3 -c "import sys; sys.exit(0 if $segs >= 20 else 1)" ||
		fail "only $segs segments per super-packet" || return 1
	[[ $(stat_of engine.csum_bad) -eq 0 ]] || fail "checksum failures on a clean wire" || return 1
	in_flight_zero
}

test_parallel_flows_multiqueue_two_workers() {
	pre || return $?
	[[ $(nproc) -ge 2 ]] || { echo "needs 2 CPUs"; return 77; }
	mk_pair s$TAG r$TAG 4 || return 1
	start_xgro r$TAG vr$TAG --cpus 0-1 --flush-us 100 || return 1
	in_ns r$TAG "$XGRO" status vr$TAG --json >"$TMP/st.json"
	[[ $(json_get "$TMP/st.json" instances.0.queues) == 4 ]] || fail "not 4 queues" || return 1
	[[ $(json_get "$TMP/st.json" instances.0.workers) == 2 ]] || fail "not 2 workers" || return 1
	local p pids=()
	for p in $(seq 0 7); do
		bulk 10.99.0.2 $((8 << 20)) $((10 + p)) $((7100 + p)) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a flow failed" || return 1
	done
	stats || return 1
	[[ $(stat_of engine.superpackets_out) -gt 0 ]] || fail "nothing merged" || return 1
	in_flight_zero
}

test_request_response_1000_rounds() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	bg_ns r$TAG timeout 120 "$XFER" rr-server 7200
	sleep 0.2
	echo "without xgro (3000-byte requests): $(in_ns s$TAG timeout 60 "$XFER" rr 10.99.0.2 7200 1000 3000)"
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	bg_ns r$TAG timeout 120 "$XFER" rr-server 7201
	sleep 0.2
	# each request waits for its answer: a held segment the timer failed
	# to flush would stall the exchange, and the timeout would end it
	local out
	out=$(in_ns s$TAG timeout 60 "$XFER" rr 10.99.0.2 7201 1000 3000) ||
		fail "request/response stalled" || return 1
	echo "with xgro (flush-us 200, 3000-byte requests): $out"
	stats || return 1
	[[ $(stat_of xdp.steered) -gt 1000 ]] || fail "requests not steered" || return 1
	in_flight_zero
}

test_partial_checksums_flow_released() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	# the sender leaves checksums to an offload that never happens on veth
	in_ns s$TAG ethtool -K vs$TAG tx on >/dev/null
	start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((20 << 20)) 3 || return 1
	stats || return 1
	[[ $(stat_of engine.flows_released) -ge 1 ]] || fail "flow not released" || return 1
	[[ $(stat_of engine.csum_bad) -ge 1 ]] || fail "no checksum failure counted" || return 1
	in_flight_zero
}

test_zero_copy_fallback_and_forced() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	grep -q "using copy mode" "$TMP/xgro-vr$TAG.log" || fail "no word of copy mode" || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q "AF_XDP copy" || fail "status: mode" || return 1
	stop_xgro
	local out rc
	out=$(in_ns r$TAG "$XGRO" attach vr$TAG --zero-copy 2>&1)
	rc=$?
	[[ $rc -eq 1 ]] && echo "$out" | grep -q "no AF_XDP zero-copy" || fail "forced: rc $rc: $out" || return 1
	no_leftovers r$TAG vr$TAG
}

udp_run() { # GRO_OR_EMPTY
	local out
	in_ns r$TAG timeout 60 "$XFER" udp-recv 7300 20000 1400 $1 >"$TMP/udp.out" &
	local rpid=$!
	sleep 0.2
	in_ns s$TAG "$XFER" udp-send 10.99.0.2 7300 20000 1400 || return 1
	wait $rpid || fail "udp-recv: $(cat "$TMP/udp.out")" || return 1
	cat "$TMP/udp.out"
}

test_udp_with_and_without_udp_gro() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	udp_run "" || return 1
	grep -q "coalesced_reads 0" "$TMP/udp.out" || fail "merged datagrams reached a socket without UDP_GRO" || return 1
	udp_run gro || return 1
	stats || return 1
	if in_ns r$TAG "$XGRO" status vr$TAG | grep -q "udp-unmerged"; then
		echo "kernel takes no UDP GSO writes: datagrams pass unmerged"
	else
		[[ $(stat_of engine.superpackets_out) -gt 0 ]] || fail "no UDP merged" || return 1
		grep -q "coalesced_reads 0" "$TMP/udp.out" && fail "UDP_GRO socket got no large buffers" && return 1
	fi
	in_flight_zero
}

test_malformed_frames_do_not_hurt() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	local mac
	mac=$(ip -n r$TAG -br link show vr$TAG | awk '{print $3}')
	in_ns s$TAG "$XFER" junk "$mac" vs$TAG 20000 7 || return 1
	kill -0 "$XPID" || fail "xgro died" || return 1
	bulk 10.99.0.2 $((10 << 20)) 4 || return 1
	stats || return 1
	local bad
	bad=$(( $(stat_of engine.malformed) + $(stat_of engine.ip_csum_bad) + $(stat_of engine.csum_bad) + $(stat_of xdp.pass_malformed) ))
	[[ $bad -gt 1000 ]] || fail "malformed frames not seen ($bad)" || return 1
	in_flight_zero
}

# mid_transfer SIGNAL: the transfer completes whatever happens to xgro
mid_transfer() {
	local sig=$1
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((200 << 20)) 5 7400 &
	local b=$!
	sleep 0.5
	kill -"$sig" "$XPID"
	if [[ $sig == STOP ]]; then
		sleep 1
		kill -CONT "$XPID"
	fi
	wait $b || fail "transfer failed after SIG$sig" || return 1
}

test_kill9_mid_transfer() {
	pre || return $?
	mid_transfer KILL || return 1
	wait "$XPID" 2>/dev/null
	in_ns r$TAG "$XGRO" detach vr$TAG >/dev/null || return 1
	no_leftovers r$TAG vr$TAG
}

test_sigstop_mid_transfer() {
	pre || return $?
	mid_transfer STOP || return 1
	in_flight_zero || return 1
	stop_xgro
	no_leftovers r$TAG vr$TAG
}

test_set_applies_while_running() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	bulk 10.99.0.2 $((10 << 20)) 9 7600 || return 1
	stats || return 1
	local sp=$(stat_of engine.superpackets_out) merged=$(stat_of engine.segments_merged)
	[[ $sp -gt 0 ]] || fail "nothing merged before" || return 1
	# no merging from now on, without a restart
	in_ns r$TAG "$XGRO" set vr$TAG max-segs=1 || return 1
	sleep 0.1
	bulk 10.99.0.2 $((10 << 20)) 10 7601 || return 1
	stats || return 1
	[[ $(stat_of engine.segments_merged) -le $((merged + 64)) ]] ||
		fail "still merging after max-segs=1" || return 1
	[[ $(stat_of engine.packets_in) -gt $((merged + 5000)) ]] ||
		fail "the second transfer did not go through xgro" || return 1
	in_flight_zero
}

test_veth_sink() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	# a second veth pair inside the receiver: xgro writes into one end,
	# the stack receives from the other
	ip -n r$TAG link add xa$TAG type veth peer name xb$TAG || return 1
	ip -n r$TAG link set xb$TAG up
	in_ns r$TAG ethtool -K xb$TAG rx off >/dev/null
	in_ns r$TAG sysctl -qw net.ipv4.conf.xb$TAG.rp_filter=0
	start_xgro r$TAG vr$TAG --reinject veth:xa$TAG --flush-us 200 || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q "reinject  veth:xa$TAG" || fail "status: sink" || return 1
	bulk 10.99.0.2 $((30 << 20)) 8 || return 1
	stats || return 1
	[[ $(stat_of engine.superpackets_out) -gt 0 ]] || fail "nothing merged" || return 1
	[[ $(stat_of engine.sink_errors) -eq 0 ]] || fail "sink errors" || return 1
	local rx
	rx=$(in_ns r$TAG cat /sys/class/net/xb$TAG/statistics/rx_packets 2>/dev/null ||
		ip -n r$TAG -s link show xb$TAG | awk '/RX:/{getline; print $2}')
	[[ ${rx:-0} -gt 0 ]] || fail "nothing came out of the veth sink" || return 1
	in_flight_zero
}

# impaired CSUM: 1% loss, 1% duplicates, 1% reordered, 0.1% corrupted
# payload bytes between sender and receiver; the data must arrive intact,
# and the engine's books must balance.
impaired() {
	local mode=$1 o
	mk_relay s$TAG m$TAG r$TAG || return 1
	bg_ns m$TAG "$XFER" relay ms$TAG mr$TAG 10000 11
	in_ns m$TAG tc qdisc add dev mr$TAG clsact || return 1
	local prio=1
	for o in drop dup corrupt; do
		in_ns m$TAG tc filter add dev mr$TAG egress prio $prio bpf direct-action \
			obj "$ROOT/build/tests/impair-$o.o" sec tc || fail "tc $o" || return 1
		prio=$((prio + 1))
	done
	# kept steered whatever it merges: a lossy, reordering wire can push
	# a flow under release-segs, and then the kernel, not xgro, would see
	# the impairments this test is about
	start_xgro r$TAG vr$TAG --csum "$mode" --flush-us 200 --release-segs 0 || return 1
	bulk 10.99.0.2 $((30 << 20)) 21 7500 || return 1
	in_flight_zero || return 1
	python3 - "$TMP/stats.json" "$mode" <<'PY' || return 1
import json, sys
d = json.load(open(sys.argv[1])); e = d["engine"]
singles = e["packets_out"] - e["superpackets_out"]
assert e["rx_frames"] == e["packets_in"], ("rx", e["rx_frames"], e["packets_in"])
assert e["segments_merged"] + singles == e["packets_in"], ("books", e)
assert e["sink_errors"] == 0, ("sink errors", e["sink_errors"])
assert e["superpackets_out"] > 0, "nothing merged"
if sys.argv[2] == "verify":
    assert e["csum_bad"] > 0, "corruption never seen"
print("in %d merged %d alone %d csum_bad %d mismatch %d" % (e["packets_in"],
      e["segments_merged"], singles, e["csum_bad"], e["flush_mismatch"]))
PY
}

test_impaired_wire_verify() {
	pre || return $?
	impaired verify
}

test_impaired_wire_fold() {
	pre || return $?
	impaired fold
}

run_tests
