#!/bin/bash
# Failures a user can meet: every step of attach failing in turn (injected,
# XGRO_FAULT), the host changing under a running instance (sink down or
# deleted, interface deleted or renamed, rp_filter turned back on), sinks
# that would loop, and the same interface name in two namespaces. Each
# ends without a crash, a black hole or anything left behind.
SUITE=faults
source "$(dirname "$0")/lib.sh"

pre() {
	need_root || return 77
	[[ -x $XGRO && -x $XFER ]] || { echo "build/xgro missing"; return 1; }
}


# wait_steered N: until the receiver's instance has steered N frames
wait_steered() {
	for _ in $(seq 200); do
		stats 2>/dev/null && [[ $(stat_of xdp.steered) -ge $1 ]] && return 0
		sleep 0.05
	done
	fail "fewer than $1 frames steered"
}

# until_status REGEX: the receiver's status says it within 5 s
until_status() {
	local out
	for _ in $(seq 100); do
		out=$(in_ns r$TAG "$XGRO" status vr$TAG 2>&1)
		echo "$out" | grep -Eq -- "$1" && return 0
		sleep 0.05
	done
	fail "status never said /$1/: $out"
}

rp_all() { in_ns r$TAG cat /proc/sys/net/ipv4/conf/all/rp_filter; }

# Every step of attach, failing in turn: exit 1, one error line naming what
# failed, no crash, and nothing left (program, pins and the parents attach
# made for them, tap, state, all.rp_filter).
test_every_step_unwinds() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG top=/sys/fs/bpf/xgro-t$TAG step out rc errs
	mk_pair s$TAG $r || return 1
	in_ns $r sysctl -qw net.ipv4.conf.all.rp_filter=1
	for step in claim load pins state sysctl link sink queue worker; do
		out=$(XGRO_FAULT=$step in_ns $r "$XGRO" attach $ifc --pin-dir $top/a/b 2>&1)
		rc=$?
		[[ $rc -eq 1 ]] || fail "$step: exited $rc, not 1: $out" || return 1
		errs=$(echo "$out" | grep '^xgro: ' | grep -vc '^xgro: warning:')
		[[ $errs -eq 1 ]] || fail "$step: $errs error lines: $out" || return 1
		echo "$out" | grep -q "Operation canceled" ||
			fail "$step: the error does not name the failure: $out" || return 1
		[[ ! -e $top ]] || fail "$step: $top left" || return 1
		[[ $(rp_all) == 1 ]] || fail "$step: all.rp_filter left at $(rp_all)" || return 1
		ls /run/xgro/ 2>/dev/null | grep -q "t$TAG" && fail "$step: state left" && return 1
		no_leftovers $r $ifc || return 1
	done
	# a start that fails at the step it names: what was attached works
	start_xgro $r $ifc --pin-dir $top/a/b || return 1
	stop_xgro
	[[ ! -e $top && $(rp_all) == 1 ]] || fail "a clean detach left $top or rp_filter" || return 1
}

# The tap down mid-transfer: steering stops at once, the transfer completes
# on the kernel path, status says why; up again, steering resumes.
test_tap_down_fails_open() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((200 << 20)) 11 7101 &
	local b=$!
	wait_steered 2000 || return 1
	ip -n r$TAG link set xgvr$TAG down
	wait $b || fail "transfer failed with the tap down" || return 1
	until_status "STEERING HALTED" || return 1
	until_status "the sink is down" || return 1
	stats || return 1
	[[ $(stat_of xdp.pass_halted) -gt 1000 ]] || fail "frames not passed while halted" || return 1
	grep -q "tap 'xgvr$TAG' is down: steering stopped" "$TMP/xgro-vr$TAG.log" ||
		fail "no log line: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	ip -n r$TAG link set xgvr$TAG up
	until_status "attached \(pid" || return 1
	local before=$(stat_of engine.packets_in)
	bulk 10.99.0.2 $((20 << 20)) 12 7102 || return 1
	stats || return 1
	[[ $(stat_of engine.packets_in) -gt $((before + 1000)) ]] ||
		fail "steering did not resume" || return 1
	grep -q "steering resumed" "$TMP/xgro-vr$TAG.log" || fail "no resume line" || return 1
	stop_xgro
	no_leftovers r$TAG vr$TAG
}

# Writes to the sink failing for a cause nobody can see: steering stops,
# and resumes once a probe write goes through.
test_sink_errors_fail_open() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	XGRO_FAULT=sink-write:$TMP/fail start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((200 << 20)) 18 7108 &
	local b=$!
	wait_steered 2000 || return 1
	touch "$TMP/fail"
	until_status "writes to the sink fail" || return 1
	wait $b || fail "transfer failed while the sink failed" || return 1
	[[ $(grep -c "steering stopped" "$TMP/xgro-vr$TAG.log") -eq 1 ]] ||
		fail "not one line: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	rm "$TMP/fail"
	stats || return 1
	local before=$(stat_of engine.packets_in)
	bulk 10.99.0.2 $((100 << 20)) 19 7109 || return 1
	stats || return 1
	[[ $(stat_of engine.packets_in) -gt $((before + 1000)) ]] ||
		fail "steering did not resume" || return 1
	grep -q "the sink takes writes again: steering resumed" "$TMP/xgro-vr$TAG.log" ||
		fail "no resume line: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	stop_xgro
	no_leftovers r$TAG vr$TAG
}

# The tap deleted: the instance cannot get it back as the same device, so
# it ends with a message; the XDP program goes with it and the transfer
# completes on the kernel path.
test_tap_deleted_detaches() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=2
	start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((200 << 20)) 13 7103 &
	local b=$!
	wait_steered 2000 || return 1
	ip -n r$TAG link del xgvr$TAG
	wait $b || fail "transfer failed with the tap deleted" || return 1
	wait "$XPID"
	local rc=$?
	[[ $rc -eq 1 ]] || fail "xgro exited $rc, not 1" || return 1
	grep -q "tap 'xgvr$TAG' was deleted or renamed: detaching" "$TMP/xgro-vr$TAG.log" ||
		fail "no message: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	[[ $(rp_all) == 2 ]] || fail "all.rp_filter not restored" || return 1
	no_leftovers r$TAG vr$TAG
}

# The interface deleted, or renamed: the instance ends with a message and
# leaves nothing.
test_interface_deleted_or_renamed() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG || return 1
	bulk 10.99.0.2 $((10 << 20)) 14 7104 || return 1
	ip -n r$TAG link set vr$TAG down
	ip -n r$TAG link set vr$TAG name vq$TAG || return 1
	wait "$XPID"
	grep -q "interface 'vr$TAG' was renamed 'vq$TAG': detaching" "$TMP/xgro-vr$TAG.log" ||
		fail "no rename message: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	no_leftovers r$TAG vq$TAG || return 1
	no_leftovers r$TAG vr$TAG || return 1
	ip -n r$TAG link set vq$TAG name vr$TAG || return 1
	ip -n r$TAG link set vr$TAG up
	start_xgro r$TAG vr$TAG || return 1
	ip -n r$TAG link del vr$TAG
	wait "$XPID"
	grep -q "interface 'vr$TAG' is gone: detaching" "$TMP/xgro-vr$TAG.log" ||
		fail "no message: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	[[ ! -e /sys/fs/bpf/xgro/vr$TAG && ! -e /run/xgro/vr$TAG.state ]] ||
		fail "pins or state left" || return 1
}

# rp_filter turned back on by an administrator while attached: reinjected
# packets would be dropped, so steering stops and the transfer completes;
# detach leaves the administrator's value.
test_rp_filter_reenabled() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=2
	start_xgro r$TAG vr$TAG || return 1
	[[ $(rp_all) == 0 ]] || fail "rp_filter not turned off" || return 1
	bulk 10.99.0.2 $((200 << 20)) 15 7105 &
	local b=$!
	wait_steered 2000 || return 1
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=1
	wait $b || fail "transfer failed with rp_filter on" || return 1
	until_status "reverse-path filtering" || return 1
	# back off: steering resumes
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=0
	until_status "attached \(pid" || return 1
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=1
	until_status "STEERING HALTED" || return 1
	stop_xgro
	grep -q "is 1, not the 0 xgro set: left as it is" "$TMP/xgro-vr$TAG.log" ||
		fail "no warning: $(cat "$TMP/xgro-vr$TAG.log")" || return 1
	[[ $(rp_all) == 1 ]] || fail "detach overwrote the administrator's rp_filter" || return 1
	no_leftovers r$TAG vr$TAG
}

# Sinks that would send merged packets back where they came from, and lo.
test_loops_and_loopback_refused() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r || return 1
	expect_err 1 "would come back to 'vr$TAG'" in_ns $r "$XGRO" attach $ifc --reinject veth:$ifc || return 1
	no_leftovers $r $ifc || return 1
	# a veth whose peer is in the attached interface's bridge
	ip -n $r link add br$TAG type bridge || return 1
	ip -n $r link add va$TAG type veth peer name vb$TAG || return 1
	ip -n $r link set vr$TAG master br$TAG
	ip -n $r link set va$TAG master br$TAG
	expect_err 1 "would come back to 'vr$TAG'" in_ns $r "$XGRO" attach $ifc --reinject veth:vb$TAG || return 1
	no_leftovers $r $ifc || return 1
	expect_err 1 "interface 'lo': loopback" in_ns $r "$XGRO" attach lo --mode skb || return 1
	no_leftovers $r lo
}

# The same interface name in two namespaces: each command acts on the
# caller's namespace's instance only, unless --netns names another.
test_same_name_two_namespaces() {
	pre || return $?
	local a b p=/sys/fs/bpf/xgro-n$TAG
	mk_pair s$TAG r$TAG || return 1
	ip netns add s2$TAG && NS+=(s2$TAG)
	ip netns add r2$TAG && NS+=(r2$TAG)
	ip link add vs$TAG netns s2$TAG type veth peer name vr$TAG netns r2$TAG || return 1
	ip -n s2$TAG link set vs$TAG up
	ip -n r2$TAG link set vr$TAG up
	start_xgro r$TAG vr$TAG || return 1
	a=$XPID
	# the second one's log must not overwrite the first's
	nsenter --net=/run/netns/r2$TAG "$XGRO" attach vr$TAG --pin-dir $p >"$TMP/second.log" 2>&1 &
	b=$!
	PIDS+=("$b")
	for _ in $(seq 100); do
		in_ns r2$TAG "$XGRO" status vr$TAG --json | grep -q '"ready":true' && break
		sleep 0.05
	done
	in_ns r2$TAG "$XGRO" status vr$TAG --json | grep -q '"ready":true' ||
		fail "second attach: $(cat "$TMP/second.log")" || return 1
	in_ns r2$TAG "$XGRO" set vr$TAG flush-us=77 || fail "set in r2" || return 1
	in_ns r$TAG "$XGRO" status vr$TAG --json | grep -q "\"flush-us\":\"77\"" &&
		fail "set in one namespace changed the other's instance" && return 1
	in_ns r2$TAG "$XGRO" status vr$TAG --json | grep -q "\"flush-us\":\"77\"" ||
		fail "set did not reach its own namespace's instance" || return 1
	in_ns r2$TAG "$XGRO" status | grep -q "netns     r2$TAG" ||
		fail "status does not name the namespace" || return 1
	[[ $(in_ns r$TAG "$XGRO" status --json |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["instances"]))') -eq 1 ]] ||
		fail "status shows another namespace's instance" || return 1
	# from the root namespace, which has no such interface: nothing
	expect_err 1 "no xgro instance in this network namespace" "$XGRO" detach vr$TAG || return 1
	expect_err 1 "no xgro instance in this network namespace" "$XGRO" detach vr$TAG --pin-dir $p || return 1
	expect_err 1 "no xgro instance in this network namespace" in_ns r$TAG "$XGRO" detach vr$TAG --pin-dir $p || return 1
	kill -0 $a && kill -0 $b || fail "a refused detach stopped an instance" || return 1
	in_ns r2$TAG "$XGRO" detach vr$TAG || fail "detach in r2" || return 1
	kill -0 $a || fail "detach in r2 stopped r's instance" || return 1
	# named from outside
	"$XGRO" detach vr$TAG --netns r$TAG || fail "detach --netns" || return 1
	! kill -0 $a 2>/dev/null || fail "detach --netns did not stop it" || return 1
	[[ ! -e $p ]] || fail "pins left in $p" || return 1
	no_leftovers r$TAG vr$TAG
}

# A pin directory with a space, nested in parents attach made: all gone
# after kill -9 and detach.
test_pin_dir_with_space_after_crash() {
	pre || return $?
	local top="/sys/fs/bpf/xgro t$TAG"
	mk_pair s$TAG r$TAG || return 1
	start_xgro r$TAG vr$TAG --pin-dir "$top/x y" || return 1
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	in_ns r$TAG "$XGRO" detach vr$TAG --pin-dir "$top/x y" >/dev/null || fail "detach" || return 1
	[[ ! -e $top ]] || fail "left: $(ls -R "$top")" || return 1
	no_leftovers r$TAG vr$TAG
}

# Smaller ones: a stopped instance detaches in time; --watch into a pipe;
# flows seen on both CPUs keep their first time; clear messages.
test_small_ones() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG out
	mk_pair s$TAG $r || return 1
	start_xgro $r $ifc || return 1
	bulk 10.99.0.2 $((4 << 20)) 16 7106 || return 1
	out=$(in_ns $r timeout 3 "$XGRO" stats $ifc --watch 1 | cat)
	echo "$out" | grep -q "steered" || fail "stats --watch into a pipe printed '$out'" || return 1
	# one flow from two CPUs: the sender moves mid-transfer
	in_ns $r "$XFER" recv 7107 >/dev/null &
	local rp=$!
	sleep 0.2
	in_ns s$TAG taskset -c 0 "$XFER" send 10.99.0.2 7107 $((100 << 20)) 17 &
	local sp=$!
	sleep 0.3
	taskset -pc 1 $sp >/dev/null 2>&1
	wait $sp
	wait $rp
	out=$(in_ns $r "$XGRO" flows $ifc --json)
	echo "$out" | python3 -c 'import json,sys
f=json.load(sys.stdin)["flows"]
assert f and all(x["first_ns"] > 0 and x["first_ns"] <= x["last_ns"] for x in f), f' ||
		fail "a flow without its first time: $out" || return 1
	kill -STOP "$XPID"
	in_ns $r "$XGRO" detach $ifc >/dev/null || fail "detach of a stopped instance failed" || return 1
	! kill -0 "$XPID" 2>/dev/null || fail "the stopped instance still runs" || return 1
	no_leftovers $r $ifc || return 1
	expect_err 2 "at most 15 characters" in_ns $r "$XGRO" attach $ifc --reinject tap:abcdefghijklmnop || return 1
	expect_err 2 "NAME an interface name" in_ns $r "$XGRO" attach $ifc --reinject tap:.. || return 1
	expect_err 1 "veth 'lo': not a veth" in_ns $r "$XGRO" attach $ifc --reinject veth:lo || return 1
	expect_err 1 "not on a BPF filesystem" in_ns $r "$XGRO" attach $ifc --pin-dir /tmp/xgro-p$TAG || return 1
	[[ ! -e /tmp/xgro-p$TAG ]] || fail "made a directory outside bpffs" || return 1
	expect_err 2 "queues: ' 1'" in_ns $r "$XGRO" attach $ifc --queues " 1" || return 1
	"$XGRO" --version | grep -Eq '^xgro [0-9]+\.[0-9]+' || fail "--version" || return 1
	# more than 64 CPUs can be named (a machine that has them could use them)
	expect_err 2 "names a CPU this machine does not have" in_ns $r "$XGRO" attach $ifc --cpus 100 || return 1
	# an MTU too large for native XDP here: said in words
	ip -n s$TAG link set vs$TAG mtu 9000
	ip -n $r link set $ifc mtu 9000
	in_ns $r timeout 3 "$XGRO" attach $ifc >"$TMP/mtu.log" 2>&1
	out=$(cat "$TMP/mtu.log")
	echo "$out" | grep -q "out of range" && fail "MTU 9000: '$out'" && return 1
	echo "$out" | grep -Eq "MTU 9000|attached to" || fail "MTU 9000: '$out'" || return 1
	no_leftovers $r $ifc
}

# The default tap names of two long interface names that share their first
# 13 characters differ.
test_long_names_distinct_taps() {
	pre || return $?
	local r=r$TAG base a b i
	base=$(printf "l%s_____________" "$TAG")
	a=${base:0:13}a b=${base:0:13}b
	ip netns add $r && NS+=($r)
	ip -n $r link add $a type veth peer name pa$TAG || return 1
	ip -n $r link add $b type veth peer name pb$TAG || return 1
	for i in $a $b pa$TAG pb$TAG; do ip -n $r link set $i up; done
	start_xgro $r $a || return 1
	local x=$XPID
	start_xgro $r $b || fail "second long name: $(cat "$TMP/xgro-$b.log")" || return 1
	kill -TERM $x "$XPID"
	wait $x "$XPID" 2>/dev/null
	no_leftovers $r $a
}

run_tests
