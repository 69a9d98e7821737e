#!/bin/bash
# xgro-wire end to end: TCP streams sent as a NIC delivers them (XDP frames
# from BPF_PROG_RUN live frames, XDP_TX'd onto the sender's veth, ACKs
# absorbed by XDP there) must arrive intact: the receiver's SHA-256 of each
# connection equals that of the stream `xgro-wire gen` makes, through the
# kernel path, through xgro, and across a lossy relay.
SUITE=wire
source "$(dirname "$0")/lib.sh"
WIRE=$ROOT/build/tests/xgro-wire

pre() {
	need_root || return 77
	[[ -x $WIRE && -x $XGRO && -x $XFER ]] || { echo "build first"; return 1; }
	# BPF_F_TEST_XDP_LIVE_FRAMES came with 5.18
	local v
	v=$(uname -r | awk -F. '{ print $1 * 100 + $2 }')
	[[ $v -ge 518 ]] || { echo "needs BPF_PROG_RUN live frames (kernel 5.18+)"; return 77; }
}

# xdp_pass NS IFACE: an XDP_PASS program, so that a veth without GRO takes
# XDP frames (it drops them otherwise: no NAPI)
xdp_pass() {
	nsenter --net=/run/netns/"$1" "$WIRE" pass --dev "$2" >"$TMP/pass-$2.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 50); do
		grep -q "attached to" "$TMP/pass-$2.log" && return 0
		sleep 0.05
	done
	fail "xgro-wire pass: $(cat "$TMP/pass-$2.log")"
}

# wire_xfer DST FLOWS BYTES [ARGS...]: FLOWS connections of BYTES each from
# s$TAG to r$TAG; fails unless each arrives whole and intact and closes
# with FIN. Leaves the sender's report in $TMP/send.json.
wire_xfer() {
	local dst=$1 flows=$2 bytes=$3 port=7001
	shift 3
	nsenter --net=/run/netns/r$TAG "$WIRE" sink --port $port --flows "$flows" \
		--sha --json --secs 30 >"$TMP/sink.out" 2>"$TMP/sink.err" &
	local rpid=$!
	PIDS+=($rpid)
	for _ in $(seq 50); do
		grep -q listening "$TMP/sink.err" && break
		sleep 0.05
	done
	in_ns s$TAG timeout -k 2 30 "$WIRE" send --dev vs$TAG --dst "$dst" --port $port \
		--flows "$flows" --bytes-per-flow "$bytes" --json "$@" >"$TMP/send.json" ||
		fail "send failed: $(cat "$TMP/send.json")" || return 1
	wait $rpid || fail "sink failed: $(cat "$TMP/sink.err")" || return 1
	cat "$TMP/send.json"
	python3 - "$WIRE" "$TMP/send.json" "$TMP/sink.out" "$flows" <<'EOF'
import json, subprocess, sys
wire, send, sink, flows = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = json.load(open(send))
conns = [json.loads(l) for l in open(sink) if l.startswith("{")]
mss = s["mss"]
by_port = {c["port"]: c for c in conns}
bad = []
if len(conns) != flows:
    bad.append(f"{len(conns)} connections, not {flows}")
for f in s["per_flow"]:
    c = by_port.get(f["sport"])
    if c is None:
        bad.append(f"flow {f['flow']}: no connection from port {f['sport']}")
        continue
    if c["bytes"] != f["bytes"] or f["bytes"] % mss:
        bad.append(f"flow {f['flow']}: received {c['bytes']}, acknowledged {f['bytes']}")
    want = subprocess.run([wire, "gen", "--flow", str(f["flow"]), "--segs",
                           str(c["bytes"] // mss), "--mss", str(mss), "--sha"],
                          capture_output=True, text=True, check=True).stdout.strip()
    if c["sha256"] != want:
        bad.append(f"flow {f['flow']}: SHA-256 {c['sha256'][:12]}, sent {want[:12]}")
    if not f["closed"]:
        bad.append(f"flow {f['flow']}: not closed with FIN both ways")
print("\n".join(bad) if bad else f"{flows} streams intact, mss {mss}")
sys.exit(1 if bad else 0)
EOF
}

# csum_errors NS: TCP segments the receiver's stack dropped for a bad checksum
csum_errors() {
	in_ns "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

json_of() { json_get "$TMP/send.json" "$1"; }

test_ipv4_4_flows_kernel_gro() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG ethtool -K vr$TAG gro on >/dev/null || return 1
	wire_xfer 10.99.0.2 4 $((8 << 20)) || return 1
	[[ $(json_of retransmits) -eq 0 ]] || fail "retransmissions on a clean wire" || return 1
	[[ $(csum_errors r$TAG) -eq 0 ]] || fail "receiver: bad checksums"
}

test_ipv6_2_flows_kernel_xdp_pass() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG ethtool -K vr$TAG gro off >/dev/null || return 1
	xdp_pass r$TAG vr$TAG || return 1
	wire_xfer fd99::2 2 $((8 << 20)) || return 1
	[[ $(json_of mss) -eq 1440 ]] || fail "IPv6 MSS $(json_of mss)" || return 1
	[[ $(json_of retransmits) -eq 0 ]] || fail "retransmissions on a clean wire" || return 1
	[[ $(csum_errors r$TAG) -eq 0 ]] || fail "receiver: bad checksums"
}

test_xgro_merges() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	wire_xfer 10.99.0.2 4 $((8 << 20)) || return 1
	in_ns r$TAG "$XGRO" stats vr$TAG --json >"$TMP/stats.json" || return 1
	local sp segs bad
	sp=$(json_get "$TMP/stats.json" engine.superpackets_out)
	segs=$(json_get "$TMP/stats.json" engine.segments_merged)
	bad=$(json_get "$TMP/stats.json" engine.csum_bad)
	echo "xgro: $segs segments merged into $sp super-packets, csum_bad $bad"
	[[ $sp -gt 0 ]] || fail "nothing merged" || return 1
	[[ $bad -eq 0 ]] || fail "xgro: $bad bad checksums from xgro-wire"
}

test_lossy_relay_retransmits() {
	pre || return $?
	mk_relay s$TAG m$TAG r$TAG || return 1
	# the relay's veth end takes XDP frames only with an XDP program (GRO
	# on would merge them past the MTU of the way out)
	xdp_pass m$TAG ms$TAG || return 1
	bg_ns m$TAG "$XFER" relay ms$TAG mr$TAG 0 11
	in_ns m$TAG tc qdisc add dev mr$TAG clsact || return 1
	in_ns m$TAG tc filter add dev mr$TAG egress prio 1 bpf direct-action \
		obj "$ROOT/build/tests/impair-drop.o" sec tc || fail "tc drop" || return 1
	in_ns r$TAG ethtool -K vr$TAG gro on >/dev/null || return 1
	wire_xfer 10.99.0.2 2 $((4 << 20)) || return 1
	local rtx
	rtx=$(json_of retransmits)
	echo "retransmits $rtx, timeouts $(json_of timeouts), fast $(json_of fast_retransmits)"
	[[ $rtx -gt 0 ]] || fail "1% loss and no retransmission"
}

run_tests
