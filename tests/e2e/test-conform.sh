#!/bin/bash
# The conformance table end to end (tests/lib/conform.c): every case's
# frames crafted in the sender's namespace, sent on its veth end, and read
# in the receiver's on xgro's tap and on the veth (what the XDP program
# passes), with kernel GRO off. As a control, the same frames go through
# the kernel's own GRO (veth NAPI GRO, gro_flush_timeout 1 ms, as the
# selftest's setup_veth.sh sets it). xgro must deliver Linux 6.18's sizes
# for every case; the control's row is shown beside it.
SUITE=conform
source "$(dirname "$0")/lib.sh"
CONFORM=$ROOT/build/tests/xgro-conform

pre() {
	need_root || return 77
	need_cmd ethtool || return 77
	[[ -x $XGRO && -x $CONFORM ]] || { echo "build first"; return 1; }
}

drop_pair() {
	ip netns del s$TAG 2>/dev/null
	ip netns del r$TAG 2>/dev/null
	NS=()
}

# rows OUT RX_IF...: both families through the bed built now, the 64 KB
# cases with the selftest's MSS (4036) where the MTU takes it (jumbo
# frames in effect), else with the largest segment it takes
rows() {
	local out=$1 m4=4036 m6=4036
	shift
	if [[ $MTU -lt 4096 ]]; then
		m4=$((MTU - 40)) m6=$((MTU - 60))
	fi
	in_ns r$TAG "$CONFORM" s$TAG vs$TAG 4 $m4 "$@" >>"$out" || return 1
	in_ns r$TAG "$CONFORM" s$TAG vs$TAG 6 $m6 "$@" >>"$out"
}

set_mtu() {
	ip -n s$TAG link set vs$TAG mtu "$1" && ip -n r$TAG link set vr$TAG mtu "$1"
}

# xgro_bed: xgro on the receiver, kernel GRO off, frames held until the
# FIN; at MTU 9000 when xgro takes jumbo frames here, else 1500. Sets MTU.
xgro_bed() {
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG ethtool -K vr$TAG gro off >/dev/null
	MTU=9000
	set_mtu $MTU || return 1
	start_xgro r$TAG vr$TAG --flush-us 20000 --release-segs 0 || return 1
	if ! in_ns r$TAG "$XGRO" status vr$TAG | grep -q 'jumbo *xdp.frags+XDP_USE_SG'; then
		echo "no jumbo frames here: the 64 KB cases at MTU 1500"
		stop_xgro
		MTU=1500
		set_mtu $MTU || return 1
		start_xgro r$TAG vr$TAG --flush-us 20000 --release-segs 0 || return 1
	fi
}

test_table() {
	pre || return $?
	xgro_bed || return 1
	rows "$TMP/xgro" xgvr$TAG vr$TAG || fail "xgro bed: $(tail -2 "$TMP/xgro")" || return 1
	stop_xgro
	drop_pair
	# the control: the kernel's GRO on the receiving veth, same MTU
	mk_pair s$TAG r$TAG || return 1
	set_mtu $MTU || return 1
	in_ns r$TAG ethtool -K vr$TAG gro on >/dev/null || return 1
	ip netns exec r$TAG sh -c "echo 1000000 >/sys/class/net/vr$TAG/gro_flush_timeout;
		echo 1 >/sys/class/net/vr$TAG/napi_defer_hard_irqs" || return 1
	rows "$TMP/kernel" vr$TAG || fail "kernel bed: $(tail -2 "$TMP/kernel")" || return 1
	echo "MTU $MTU"
	# the table goes to the log and to build/conform-e2e.txt
	python3 - "$TMP/kernel" "$TMP/xgro" <<'PY' | tee "$ROOT/build/conform-e2e.txt"
import sys
def load(p):
    rows = {}
    for l in open(p):
        if not l.startswith("ROW "):
            continue
        _, group, name, fam, rest = l.split(" ", 4)
        want, rest = rest.split("} ", 1)
        got, devs = rest.rsplit(" ", 1)
        rows[(group, name, fam)] = (want + "}", got, devs.strip())
    return rows
k, x = load(sys.argv[1]), load(sys.argv[2])
bad = 0
print("%-6s %-20s %-3s %-18s %-18s %-18s %-5s %s" % ("group", "case", "ip",
      "Linux 6.18", "kernel here", "xgro", "via", "verdict"))
for key, (want, got, devs) in x.items():
    kgot = k.get(key, ("", "-", ""))[1]
    ok = got == want
    bad += not ok
    note = ""
    if kgot != want:
        same = sorted(kgot.strip("{}").split()) == sorted(want.strip("{}").split())
        note = " (kernel here: same sizes, other order)" if same else " (kernel here differs)"
    print("%-6s %-20s %-3s %-18s %-18s %-18s %-5s %s%s" % (key + (want, kgot,
          got, devs, "same" if ok else "DIFFERS", note)))
print("via: t = xgro's tap, v = the veth (passed by the XDP program); "
      "frames of two devices are listed in the order they were read")
sys.exit(1 if bad or not x else 0)
PY
	[[ ${PIPESTATUS[0]} -eq 0 ]] || fail "xgro differs from Linux 6.18 (table above)"
}

run_tests
