#!/bin/bash
# The xgro command in a namespace of its own: every subcommand, every error
# case with its message and exit status, and nothing left behind.
SUITE=cli
source "$(dirname "$0")/lib.sh"


pre() {
	need_root || return 77
	[[ -x $XGRO ]] || { echo "build/xgro missing"; return 1; }
}

test_attach_status_set_stats_flows_detach() {
	pre || return $?
	local s=s$TAG r=r$TAG ifc=vr$TAG j
	mk_pair $s $r || return 1
	start_xgro $r $ifc --flush-us 200 || return 1
	in_ns $r "$XGRO" status $ifc | grep -q "attached" || fail "status: not attached" || return 1
	in_ns $r "$XGRO" status $ifc --json >"$TMP/st.json" || return 1
	[[ $(json_get "$TMP/st.json" instances.0.config.flush-us) == 200 ]] ||
		fail "status --json: flush-us not 200" || return 1
	# set: visible in the map (bpftool, field names) and in status
	in_ns $r "$XGRO" set $ifc flush-us=321 csum=trust proto=tcp || fail "set failed" || return 1
	bpftool map dump pinned /sys/fs/bpf/xgro/$ifc/config >"$TMP/cfg.dump" || return 1
	grep -q '"flush_us": 321' "$TMP/cfg.dump" || fail "config map: $(cat "$TMP/cfg.dump")" || return 1
	grep -q '"csum_mode": 2' "$TMP/cfg.dump" || fail "config map csum_mode" || return 1
	in_ns $r "$XGRO" status $ifc | grep -Eq "flush-us +321" || fail "status: flush-us" || return 1
	in_ns $r "$XGRO" status $ifc | grep -Eq "proto +tcp +set$" || fail "status: proto" || return 1
	# a flow, then stats and flows. Not iperf3 -n: its server closes the
	# data socket when the client's end-of-test message arrives, and that
	# small message may overtake data the receiver still holds, so iperf3
	# does not promise the bytes arrive (the flow then shows fewer)
	bulk 10.99.0.2 2000000 1 || return 1
	in_ns $r "$XGRO" stats $ifc --json >"$TMP/stats.json" || fail "stats --json" || return 1
	for k in xdp.rx xdp.steered xdp.passed engine.packets_in engine.packets_out \
		engine.superpackets_out engine.segments_merged engine.csum_bad engine.malformed \
		xsk.dropped xsk.rx_dropped xsk.rx_ring_full xsk.rx_fill_ring_empty_descs \
		xsk.rx_pending xsk.fill_stocked xsk.held_frames queues.0.rx_size \
		iface.rx_dropped lost reconcile.redirected reconcile.allowance; do
		j=$(json_get "$TMP/stats.json" $k) || fail "stats --json lacks $k" || return 1
		[[ $j =~ ^[0-9]+$ ]] || fail "$k is '$j'" || return 1
	done
	[[ $(json_get "$TMP/stats.json" xdp.steered) -gt 0 ]] || fail "nothing steered" || return 1
	[[ $(json_get "$TMP/stats.json" reconcile.reconciled) == True ]] ||
		fail "books do not balance: $(json_get "$TMP/stats.json" reconcile)" || return 1
	in_ns $r "$XGRO" stats $ifc | grep -q "segments/superpacket" || return 1
	in_ns $r "$XGRO" flows $ifc --top 3 >"$TMP/flows.txt"
	grep -q "10.99.0.1:" "$TMP/flows.txt" || fail "flows: no flow" || return 1
	in_ns $r "$XGRO" flows $ifc --json >"$TMP/flows.json"
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"flows\"][0][\"bytes\"] > 2000000" "$TMP/flows.json" ||
		fail "flows --json: $(cat "$TMP/flows.json")" || return 1
	# to files first: grep -q would cut bpftool off (and pipefail notices)
	bpftool map dump pinned /sys/fs/bpf/xgro/$ifc/worker_stats >"$TMP/ws.dump"
	grep -q '"segments_merged"' "$TMP/ws.dump" ||
		fail "worker_stats dump has no field names" || return 1
	bpftool map dump pinned /sys/fs/bpf/xgro/$ifc/flows >"$TMP/flows.dump"
	grep -q '"data_packets"' "$TMP/flows.dump" ||
		fail "flows dump has no field names" || return 1
	in_ns $r "$XGRO" detach $ifc || fail "detach failed" || return 1
	wait "$XPID" 2>/dev/null
	no_leftovers $r $ifc || return 1
}

rp_all() { in_ns r$TAG sysctl -n net.ipv4.conf.all.rp_filter; }

test_sigterm_leaves_nothing() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	# strict reverse-path filtering would drop every reinjected packet:
	# xgro lifts it while attached and must put it back
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=1
	start_xgro r$TAG vr$TAG || return 1
	[[ $(rp_all) == 0 ]] || fail "all.rp_filter not lifted" || return 1
	stop_xgro
	[[ $(rp_all) == 1 ]] || fail "all.rp_filter not restored" || return 1
	no_leftovers r$TAG vr$TAG
}

test_detach_after_kill9() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=2
	start_xgro r$TAG vr$TAG || return 1
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	in_ns r$TAG "$XGRO" status vr$TAG | grep -q DEAD || fail "status: not DEAD" || return 1
	expect_err 1 "is gone" in_ns r$TAG "$XGRO" stats vr$TAG || return 1
	in_ns r$TAG "$XGRO" detach vr$TAG >/dev/null || fail "detach failed" || return 1
	[[ $(rp_all) == 2 ]] || fail "all.rp_filter not restored after the crash" || return 1
	no_leftovers r$TAG vr$TAG
}

test_detach_elsewhere_keeps_sysctls() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	local host v
	host=$(sysctl -n net.ipv4.conf.all.rp_filter)
	v=$(( host == 1 ? 2 : 1 ))
	in_ns r$TAG sysctl -qw net.ipv4.conf.all.rp_filter=$v
	start_xgro r$TAG vr$TAG || return 1
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	# from the host's namespace: not this namespace's instance
	expect_err 1 "no xgro instance in this network namespace" \
		"$XGRO" detach vr$TAG || return 1
	[[ -e /run/xgro/vr$TAG.state ]] || fail "refused detach removed state" || return 1
	# named: cleaned up, and the saved sysctl goes back into the test's
	# namespace, never the host's
	local out
	out=$("$XGRO" detach vr$TAG --netns r$TAG 2>&1) || fail "detach --netns: $out" || return 1
	if [[ $(sysctl -n net.ipv4.conf.all.rp_filter) != "$host" ]]; then
		sysctl -qw net.ipv4.conf.all.rp_filter="$host"
		fail "detach wrote the host's all.rp_filter" || return 1
	fi
	[[ $(in_ns r$TAG sysctl -n net.ipv4.conf.all.rp_filter) == "$v" ]] ||
		fail "rp_filter of the instance's namespace not restored" || return 1
	[[ ! -e /sys/fs/bpf/xgro/vr$TAG && ! -e /run/xgro/vr$TAG.state ]] ||
		fail "pins or state left" || return 1
}

test_errors() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r || return 1
	expect_err 1 "interface 'nosuch$TAG': No such device" in_ns $r "$XGRO" attach nosuch$TAG || return 1
	expect_err 2 "flush-us: 'abc'" in_ns $r "$XGRO" attach $ifc --flush-us abc || return 1
	expect_err 2 "csum: 'bogus': want verify, fold or trust" in_ns $r "$XGRO" attach $ifc --csum bogus || return 1
	expect_err 2 "queues: '0'" in_ns $r "$XGRO" attach $ifc --queues 0 || return 1
	expect_err 2 "cpus: '99'" in_ns $r "$XGRO" attach $ifc --cpus 99 || return 1
	expect_err 2 "max-size: '70000'" in_ns $r "$XGRO" attach $ifc --max-size 70000 || return 1
	expect_err 2 "csum fold: needs the tap sink" in_ns $r "$XGRO" attach $ifc --csum fold --reinject veth:$ifc || return 1
	expect_err 2 "unknown command" "$XGRO" frobnicate || return 1
	expect_err 1 "--queues 4, but it has 1 RX queue" in_ns $r "$XGRO" attach $ifc --queues 4 || return 1
	if command -v setpriv >/dev/null; then
		expect_err 1 "needs root" setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all --bounding-set=-all "$XGRO" attach $ifc || return 1
	fi
	# bpffs missing: a private mount namespace without /sys/fs
	expect_err 1 "bpffs unavailable at /sys/fs/bpf" unshare -m sh -c \
		"mount -t tmpfs none /sys/fs && exec nsenter --net=/run/netns/$r $XGRO attach $ifc" || return 1
	# a live instance owns the pins; another program holds the interface
	start_xgro $r $ifc || return 1
	expect_err 1 "already attached by xgro pid $XPID" in_ns $r "$XGRO" attach $ifc || return 1
	expect_err 1 "already has an XDP program" in_ns $r "$XGRO" attach $ifc --pin-dir /sys/fs/bpf/xgro-other$TAG || return 1
	[[ ! -e /sys/fs/bpf/xgro-other$TAG ]] || fail "half-attached instance left pins" || return 1
	expect_err 2 "unknown key 'nope'" in_ns $r "$XGRO" set $ifc nope=1 || return 1
	expect_err 2 "flush-us: 'x'" in_ns $r "$XGRO" set $ifc flush-us=x || return 1
	expect_err 1 "no xgro instance" in_ns $r "$XGRO" stats s$TAG || return 1
	stop_xgro
	expect_err 1 "no xgro instance" in_ns $r "$XGRO" detach $ifc || return 1
	# zero-copy forced on veth: a clear error, nothing left
	expect_err 1 "no AF_XDP zero-copy" in_ns $r "$XGRO" attach $ifc --zero-copy || return 1
	no_leftovers $r $ifc
}

# a start that fails after its first step unwinds without crashing: a sink
# that cannot be opened, and zero-copy refused on the first of 4 queues
test_failed_start_unwinds() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r 4 || return 1
	expect_err 1 "tap 'lo': exists already" in_ns $r "$XGRO" attach $ifc --reinject tap:lo || return 1
	no_leftovers $r $ifc || return 1
	expect_err 1 "veth 'nosuch$TAG'" in_ns $r "$XGRO" attach $ifc --reinject veth:nosuch$TAG || return 1
	no_leftovers $r $ifc || return 1
	expect_err 1 "no AF_XDP zero-copy" in_ns $r "$XGRO" attach $ifc --zero-copy || return 1
	no_leftovers $r $ifc
}

test_warns_about_ingress_rules() {
	pre || return $?
	mk_pair s$TAG r$TAG || return 1
	ip -n r$TAG rule add iif vr$TAG table 100 || return 1
	start_xgro r$TAG vr$TAG || return 1
	grep -q "policy rule .* names vr$TAG" "$TMP/xgro-vr$TAG.log" ||
		fail "no warning: $(cat "$TMP/xgro-vr$TAG.log")"
}

# The settings table reaches every surface: attach takes each setting at
# its default (as its help prints it), set takes each live one, status
# shows each live one with its value.
test_every_setting_everywhere() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG args=() live=() line name arg def
	mk_pair s$TAG $r || return 1
	while IFS= read -r line; do
		read -r name arg <<<"${line:2:34}"
		name=${name#--}
		[[ $name == verbose* || $name == help* || $name == config ]] && continue
		def=
		if [[ -z $arg ]]; then
			args+=("--$name") # a flag
		elif [[ $line =~ \(([^()]*)\)$ ]]; then
			def=${BASH_REMATCH[1]//IFACE/$ifc}
			args+=("--$name" "$def")
		else
			fail "--$name: no default in '$line'" || return 1
		fi
		[[ ${line:37:2} == "* " ]] && live+=("$name=$def")
	done < <("$XGRO" attach --help | grep '^  --')
	[[ ${#live[@]} -ge 12 && ${#args[@]} -ge 40 ]] ||
		fail "the help lists too few settings: ${args[*]}" || return 1
	# the flags contradict each other (zero-copy, copy): the last wins
	start_xgro $r $ifc "${args[@]}" || return 1
	local kv k v out
	for kv in "${live[@]}"; do
		k=${kv%%=*} v=${kv#*=}
		in_ns $r "$XGRO" set $ifc "$k=$v" || fail "set $k=$v refused" || return 1
		out=$(in_ns $r "$XGRO" status $ifc --json)
		echo "$out" | grep -q "\"$k\":\"$v\"" || fail "status does not show $k=$v" || return 1
	done
	expect_err 2 "set at attach only" in_ns $r "$XGRO" set $ifc ring=512 || return 1
}

# attach --config: the file's keys are the table's, the command line wins,
# status says where each value came from and set changes that; every
# refusal names the file, the line and the key, and exits 2
test_config_file() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG f
	mk_pair s$TAG $r || return 1
	f=$TMP/xgro.conf
	cat >"$f" <<-EOF
	# an operator's file
	flush-us = 120   # held at most this long
	csum=trust
	ring = 1024
	steer-vlan = on
	busy-poll = on
	EOF
	start_xgro $r $ifc --config "$f" --csum verify || return 1
	in_ns $r "$XGRO" set $ifc max-segs=8 || fail "set failed" || return 1
	in_ns $r "$XGRO" status $ifc --json >"$TMP/st.json" || return 1
	local kv k v src got
	for kv in flush-us=120=file csum=verify=command-line ring=1024=file \
		steer-vlan=on=file busy-poll=on=file max-segs=8=set \
		max-size=65535=default nice=-10=default; do
		IFS== read -r k v src <<<"$kv"
		got=$(json_get "$TMP/st.json" instances.0.settings.$k.value):$(json_get "$TMP/st.json" instances.0.settings.$k.source)
		[[ $got == "$v:$src" ]] || fail "status: $k is $got, not $v:$src" || return 1
	done
	# steer-vlan reached the XDP program's config
	bpftool map dump pinned /sys/fs/bpf/xgro/$ifc/config >"$TMP/cfg.dump" || return 1
	grep -q '"steer_vlan": 1' "$TMP/cfg.dump" || fail "config map: steer_vlan not 1" || return 1
	in_ns $r "$XGRO" status $ifc | grep -Eq "flush-us +120 +file$" ||
		fail "status text: no source for flush-us" || return 1
	stop_xgro
	no_leftovers $r $ifc || return 1
	printf '# fine\n\nbogus = 1\n' >"$f"
	expect_err 2 "^xgro: $f:3: unknown key 'bogus'" in_ns $r "$XGRO" attach $ifc --config "$f" || return 1
	printf 'ring = 1000\n' >"$f"
	expect_err 2 "^xgro: $f:1: ring: '1000': want" in_ns $r "$XGRO" attach $ifc --config "$f" || return 1
	printf 'flush-us = 10\ncsum = bogus\n' >"$f"
	expect_err 2 "^xgro: $f:2: csum: 'bogus': want verify, fold or trust" \
		in_ns $r "$XGRO" attach $ifc --config "$f" || return 1
	printf 'max-segs\n' >"$f"
	expect_err 2 "^xgro: $f:1: 'max-segs': want KEY = VALUE" in_ns $r "$XGRO" attach $ifc --config "$f" || return 1
	expect_err 2 "^xgro: config file $TMP/none: No such file" in_ns $r "$XGRO" attach $ifc --config "$TMP/none" || return 1
	no_leftovers $r $ifc
}

test_help() {
	"$XGRO" --help | grep -q "attach" || return 1
	"$XGRO" attach --help | grep -q -- "--flush-us" || return 1
	"$XGRO" set --help | grep -q "idle-release-ms" || return 1
}

# set before attach says it is up would lose its record when attach
# writes its state the last time: refused, and accepted once it is up
test_set_while_attaching_refused() {
	pre || return $?
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r || return 1
	touch "$TMP/hold"
	XGRO_FAULT=hold-ready:$TMP/hold nsenter --net=/run/netns/$r "$XGRO" attach $ifc \
		>"$TMP/attach.log" 2>&1 &
	XPID=$!
	PIDS+=("$XPID")
	for _ in $(seq 100); do
		[[ -e /sys/fs/bpf/xgro/$ifc/config ]] &&
			in_ns $r "$XGRO" status $ifc --json 2>/dev/null | grep -q '"ready":false' && break
		sleep 0.05
	done
	expect_err 1 "still attaching" in_ns $r "$XGRO" set $ifc flush-us=333 || return 1
	rm "$TMP/hold"
	for _ in $(seq 100); do
		in_ns $r "$XGRO" status $ifc --json | grep -q '"ready":true' && break
		sleep 0.05
	done
	in_ns $r "$XGRO" set $ifc flush-us=333 || fail "set once up" || return 1
	in_ns $r "$XGRO" status $ifc | grep -Eq "flush-us +333 +set$" ||
		fail "status: $(in_ns $r "$XGRO" status $ifc | grep flush-us)" || return 1
	in_ns $r "$XGRO" detach $ifc || return 1
	wait "$XPID"
	no_leftovers $r $ifc
}

# A dead instance's pid and namespace inode may be reused: by another
# xgro, by a new namespace. Its state names both by what is never reused
# (the pid's start time, the namespace's cookie), so detach neither
# signals the other xgro nor restores sysctls into a stranger namespace.
test_reused_pid_and_netns_not_ours() {
	pre || return $?
	local r=r$TAG q=q$TAG other state=/run/xgro/vr$TAG.state cookie
	mk_pair s$TAG $r || return 1
	in_ns $r sysctl -qw net.ipv4.conf.all.rp_filter=2
	start_xgro $r vr$TAG || return 1
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	# another instance, alive, in a namespace of its own
	ip netns add $q && NS+=($q)
	ip -n $q link add qa$TAG type veth peer name qb$TAG || return 1
	ip -n $q link set qa$TAG up && ip -n $q link set qb$TAG up
	start_xgro $q qa$TAG || return 1
	other=$XPID
	cookie=$(awk '$1 == "netns_cookie" { print $2 }' "$state")
	[[ $cookie =~ ^[1-9][0-9]*$ ]] || fail "no netns cookie in the state: $cookie" || return 1
	[[ $(awk '$1 == "pid_start" { print $2 }' "$state") =~ ^[1-9][0-9]*$ ]] ||
		fail "no pid start time in the state" || return 1
	# the dead one's pid now the other's; its namespace inode another's
	sed -i "s/^pid .*/pid $other/; s/^netns_cookie .*/netns_cookie $((cookie + 1))/" "$state"
	in_ns $r "$XGRO" status vr$TAG | grep -q DEAD ||
		fail "status: $(in_ns $r "$XGRO" status vr$TAG | head -3)" || return 1
	in_ns $r "$XGRO" detach vr$TAG >"$TMP/detach.out" 2>&1 || fail "detach: $(cat "$TMP/detach.out")" || return 1
	kill -0 "$other" 2>/dev/null || fail "detach signalled another instance" || return 1
	[[ $(rp_all) == 0 ]] || fail "sysctl restored in a namespace not the instance's" || return 1
	grep -q "not restored" "$TMP/detach.out" || fail "detach said: $(cat "$TMP/detach.out")" || return 1
	[[ ! -e /sys/fs/bpf/xgro/vr$TAG && ! -e $state ]] || fail "pins or state left" || return 1
	in_ns $q "$XGRO" detach qa$TAG || return 1
	wait "$other"
	no_leftovers $q qa$TAG
}

run_tests
