#!/bin/bash
# Every frame the XDP program redirects is accounted for in `xgro stats`:
# received by a worker, dropped by its AF_XDP socket (the kernel's
# XDP_STATISTICS), or still in the RX ring. A worker kept from running
# while its heartbeat still looks fresh loses nothing: the XDP program
# passes frames before the ring would overflow. Loss is forced by turning
# that guard off (XGRO_FAULT=ring-unguarded) and stopping xgro, so the
# program redirects into a ring nobody empties; it must show up, and the
# books must still balance.
SUITE=loss
source "$(dirname "$0")/lib.sh"

pre() {
	need_root || return 77
	[[ -x $XGRO && -x $XFER ]] || { echo "build first"; return 1; }
}


# quiet: after the traffic, every frame a worker took is back (so nothing
# moves while the books are read)
quiet() {
	local n
	for _ in $(seq 40); do
		stats || return 1
		n=$(stat_of engine.frames_in_flight)
		[[ $n -eq 0 && $(stat_of xsk.rx_pending) -eq 0 ]] && return 0
		sleep 0.05
	done
	fail "frames in flight after the traffic: $n"
}

# books LOSS: the identity from the JSON's own fields, per queue and
# summed; LOSS is "none" or "some"
books() {
	python3 - "$TMP/stats.json" "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); r = d["reconcile"]; x = d["xsk"]
qs = d["queues"]
assert qs, "no queues"
for k in ("rx_frames",):
    assert sum(q[k] for q in qs) == d["engine"][k], (k, qs)
for k in ("rx_dropped", "rx_ring_full", "rx_fill_ring_empty_descs",
          "dropped", "rx_pending", "fill_stocked", "held_frames"):
    assert sum(q[k] for q in qs) == x[k], (k, x, qs)
for q in qs:
    assert q["dropped"] == q["rx_dropped"] + q["rx_ring_full"], q
    assert q["rx_size"] > 0 and q["fill_size"] > 0, q
    assert q["umem_frames"] >= q["rx_size"], q
assert r["redirected"] == d["xdp"]["steered"], (r, d["xdp"])
assert r["received"] == d["engine"]["rx_frames"], r
assert r["dropped"] == x["dropped"], (r, x)
diff = r["redirected"] - (r["received"] + r["dropped"] + r["pending"])
print("redirected %d received %d dropped %d pending %d difference %d "
      "allowance %d; socket rx_dropped %d rx_ring_full %d "
      "fill_ring_empty %d; interface rx_dropped %d" % (
      r["redirected"], r["received"], r["dropped"], r["pending"], diff,
      r["allowance"], x["rx_dropped"], x["rx_ring_full"],
      x["rx_fill_ring_empty_descs"], d["iface"]["rx_dropped"]))
assert r["fresh"], "a worker did not sample its socket"
assert r["reconciled"] is True, r
# quiet: nothing is in flight, so the identity is exact
assert diff == 0 and r["difference"] == 0, r
if sys.argv[2] == "none":
    assert d["lost"] == 0 and x["dropped"] == 0, (d["lost"], x)
else:
    assert x["dropped"] > 0, ("no socket drop counted", x)
    assert d["lost"] >= x["dropped"] > 0, (d["lost"], x)
    # veth counts a failed redirect in its own rx_dropped (xdp_do_redirect
    # fails: rx_drops++), so the interface saw every socket drop
    assert d["iface"]["rx_dropped"] >= x["dropped"], (d["iface"], x)
PY
}

test_no_loss_balanced_books() {
	pre || return $?
	mk_pair s$TAG r$TAG 2 || return 1
	start_xgro r$TAG vr$TAG --flush-us 200 || return 1
	bulk 10.99.0.2 $((100 << 20)) 31 7801 &
	local b=$! i
	sleep 0.4
	# under traffic, the counters move while they are read: the books
	# must balance within the read window anyway
	for i in 1 2 3 4 5; do
		stats || return 1
		python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))["reconcile"]
print("under traffic:", r)
assert r["reconciled"] and r["fresh"], r' "$TMP/stats.json" || fail "not reconciled under traffic" || return 1
		sleep 0.1
	done
	wait $b || return 1
	quiet || return 1
	books none || return 1
	[[ $(json_get "$TMP/stats.json" queues.1.queue) == 1 ]] || fail "not 2 queues" || return 1
	in_ns r$TAG "$XGRO" stats vr$TAG >"$TMP/stats.txt" || return 1
	grep -Eq "^  lost +0$" "$TMP/stats.txt" || fail "stats: no 'lost 0' line" || return 1
	grep -Eq "^  reconciled +true " "$TMP/stats.txt" || fail "stats: not reconciled" || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q "0 lost, books balance" ||
		fail "status: $(in_ns r$TAG "$XGRO" status vr$TAG | grep frames)" || return 1
	[[ $(in_ns r$TAG "$XGRO" status vr$TAG --json | python3 -c 'import json,sys
i=json.load(sys.stdin)["instances"][0]; print(i["lost"], i["reconciled"])') == "0 True" ]] ||
		fail "status --json: lost/reconciled" || return 1
}

# --ring sets both rings and the umem (twice a ring); a size that is not a
# power of two is a usage error. --nice sets the workers' nice value.
test_ring_size_and_nice() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG "$XGRO" attach vr$TAG --ring 1000 >"$TMP/bad.out" 2>&1
	[[ $? -eq 2 ]] || fail "--ring 1000: want exit 2: $(cat "$TMP/bad.out")" || return 1
	grep -q "power of two" "$TMP/bad.out" || fail "--ring 1000: $(cat "$TMP/bad.out")" || return 1
	start_xgro r$TAG vr$TAG --ring 1024 --nice -5 || return 1
	# field 19 of /proc/PID/task/TID/stat is the nice value; comm may
	# not hold a space here, so fields split plainly
	local nices
	nices=$(cat /proc/$XPID/task/*/stat | awk '{print $19}' | sort -u | tr '\n' ' ')
	[[ $nices == *"-5 "* ]] || fail "no worker at nice -5: $nices" || return 1
	bulk 10.99.0.2 20000000 7 5440 || return 1
	stats || return 1
	[[ $(stat_of xsk.rx_size) == 1024 && $(stat_of xsk.fill_size) == 2048 &&
		$(stat_of xsk.umem_frames) == 2048 ]] ||
		fail "rings $(stat_of xsk.rx_size)/$(stat_of xsk.fill_size), umem $(stat_of xsk.umem_frames)"
}

# stop_and_flood: with a bulk transfer running, xgro stopped for a second
# while its heartbeat (5 s) still says it is alive; datagrams on top,
# since one TCP flow stalls at its window (a few hundred frames) and the
# ring must be overrun. Leaves the status read while stopped in
# $TMP/status.txt; B is the transfer's PID.
stop_and_flood() {
	bulk 10.99.0.2 $((200 << 20)) 32 7802 &
	B=$!
	sleep 0.5
	kill -STOP "$XPID"
	in_ns s$TAG "$XFER" udp-send 10.99.0.2 7803 20000 1400 || fail "udp-send" || return 1
	sleep 0.5
	in_ns r$TAG "$XGRO" status vr$TAG >"$TMP/status.txt"
	kill -CONT "$XPID"
}

test_stopped_worker_loses_nothing() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --heartbeat-ms 5000 --ring 512 || return 1
	stop_and_flood || return 1
	wait $B || fail "transfer failed across the stop" || return 1
	quiet || return 1
	books none || return 1
	[[ $(stat_of xdp.pass_ring_full) -gt 0 ]] ||
		fail "nothing passed for want of ring room: $(stat_of xdp)" || return 1
	[[ $(stat_of xdp.pass_stale_worker) -eq 0 ]] ||
		fail "the heartbeat went stale: the stop did not test the ring" || return 1
}

# a worker that cannot take its nice value runs anyway, and says so
test_nice_refused_is_said() {
	pre || return $?
	need_cmd setpriv || return 77
	mk_pair s$TAG r$TAG || return 1
	XGRO_WRAP="setpriv --bounding-set=-sys_nice" start_xgro r$TAG vr$TAG || return 1
	grep -q "cannot take nice -10" "$TMP/xgro-vr$TAG.log" ||
		fail "no warning: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	bulk 10.99.0.2 5000000 8 5441 || return 1
	stats || return 1
	[[ $(stat_of engine.packets_in) -gt 1000 ]] || fail "nothing through xgro" || return 1
}

test_forced_loss_is_counted() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	# the guard off: the XDP program keeps redirecting into the stopped
	# ring, which overflows
	XGRO_FAULT=ring-unguarded start_xgro r$TAG vr$TAG --heartbeat-ms 5000 || return 1
	stop_and_flood || return 1
	# stopped: its frames are nowhere the workers could say, and status
	# must say the books do not balance
	grep -q "NOT RECONCILED" "$TMP/status.txt" ||
		fail "status while stopped: $(grep frames "$TMP/status.txt")" || return 1
	wait $B || fail "transfer failed across the stop" || return 1
	quiet || return 1
	books some || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q "lost, books balance" ||
		fail "status after: $(in_ns r$TAG "$XGRO" status vr$TAG | grep frames)" || return 1
	# the fields carry BTF names in the pinned map
	bpftool map dump pinned /sys/fs/bpf/xgro/vr$TAG/worker_stats >"$TMP/ws.dump"
	grep -q '"rx_fill_ring_empty_descs"' "$TMP/ws.dump" ||
		fail "worker_stats dump lacks the socket figures" || return 1
}

run_tests
