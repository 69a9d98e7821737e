#!/bin/bash
# xgro as an operator runs it: installed and removed again, the systemd
# unit's own command lines with a notify socket, Prometheus metrics, and
# the warning about firewall rules keyed on the interface.
SUITE=ops
source "$(dirname "$0")/lib.sh"
# Debian's python3-prometheus-client is for Debian's python3
PY=/usr/bin/python3

pre() {
	need_root || return 77
	[[ -x $XGRO ]] || { echo "build/xgro missing"; return 1; }
}

# install PREFIX ARGS...: make install into a tree of the test's own
install_to() {
	local prefix=$1
	shift
	make -s -C "$ROOT" install PREFIX="$prefix" "$@" >"$TMP/install.log" 2>&1 ||
		fail "make install: $(tail -3 "$TMP/install.log")"
}

test_install_uninstall() {
	pre || return $?
	local d=$TMP/dest f out
	install_to /usr DESTDIR="$d" SYSCONFDIR=/etc || return 1
	for f in usr/sbin/xgro usr/lib/systemd/system/xgro@.service usr/share/man/man8/xgro.8 \
		usr/share/bash-completion/completions/xgro etc/xgro/xgro.conf.example; do
		[[ -s $d/$f ]] || fail "not installed: $f" || return 1
	done
	grep -q '^ExecStart=/usr/sbin/xgro attach %I --config /etc/xgro/%I.conf$' \
		"$d/usr/lib/systemd/system/xgro@.service" || fail "unit's ExecStart paths" || return 1
	# the man page has every command, option and key of the CLI's help
	out=$(man -l "$d/usr/share/man/man8/xgro.8" 2>/dev/null) || fail "man -l failed" || return 1
	for f in $("$XGRO" --help | awk '/^  [a-z]/ {print $1}') \
		$("$XGRO" attach --help | grep -o -- '^  --[a-z-]*') \
		--json --prometheus --watch --top --pin-dir --netns /run/xgro /sys/fs/bpf/xgro \
		"EXIT STATUS" EXAMPLES "CONFIGURATION FILE"; do
		grep -qF -- "$f" <<<"$out" || fail "man page lacks '$f'" || return 1
	done
	# the completion offers attach's options, read from the binary
	out=$(PATH=$d/usr/sbin:$PATH bash -c "source $d/usr/share/bash-completion/completions/xgro
		COMP_WORDS=(xgro attach --fl); COMP_CWORD=2; _xgro; echo \${COMPREPLY[*]}")
	[[ $out == --flush-us ]] || fail "completion of --fl: '$out'" || return 1
	make -s -C "$ROOT" uninstall PREFIX=/usr DESTDIR="$d" SYSCONFDIR=/etc >/dev/null 2>&1 ||
		fail "make uninstall failed" || return 1
	out=$(find "$d" ! -type d)
	[[ -z $out ]] || fail "left after uninstall: $out"
}

test_unit_verifies() {
	pre || return $?
	need_cmd systemd-analyze || return 77
	install_to "$TMP/root" SYSCONFDIR="$TMP/root/etc" || return 1
	# verify wants an instance; the interface's device unit need not exist
	cp "$TMP/root/lib/systemd/system/xgro@.service" "$TMP/xgro@lo.service"
	local out
	out=$(systemd-analyze verify --man=no "$TMP/xgro@lo.service" 2>&1) ||
		fail "systemd-analyze verify: $out" || return 1
	[[ -z $out ]] || fail "systemd-analyze verify says: $out"
}

# unit_line KEY: the installed unit's KEY= line for instance vr$TAG,
# %i and %I expanded (vr$TAG needs no escaping) and a leading '-'
# (ignore failure) dropped, as systemd does
unit_line() {
	sed -n "s/^$1=-\\{0,1\\}//p" "$TMP/root/lib/systemd/system/xgro@.service" |
		sed "s/%[iI]/vr$TAG/g"
}

# listen SOCKET: datagrams to SOCKET (a path, or @name: abstract) into
# $TMP/notify.log, one a line. Abstract names belong to a network
# namespace: the listener runs in the instance's.
listen() {
	rm -f "$TMP/notify.log.up"
	nsenter --net=/run/netns/r$TAG $PY -c 'import socket,sys
s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
name=sys.argv[1]
s.bind("\0"+name[1:] if name[0]=="@" else name)
open(sys.argv[2]+".up","w").close()
with open(sys.argv[2],"a") as f:
    while True:
        f.write(s.recv(4096).decode().replace("\n"," ")+"\n"); f.flush()' "$1" "$TMP/notify.log" &
	PIDS+=($!)
	for _ in $(seq 50); do [[ -e $TMP/notify.log.up ]] && return 0; sleep 0.1; done
	fail "notify listener did not start"
}

# start_unit SOCKET: ExecStart in the test's namespace with NOTIFY_SOCKET;
# returns once READY=1 arrived, checking the instance was ready by then
start_unit() {
	local -a cmd
	read -ra cmd <<<"$(unit_line ExecStart)"
	: >"$TMP/notify.log"
	NOTIFY_SOCKET=$1 nsenter --net=/run/netns/r$TAG "${cmd[@]}" >"$TMP/unit.log" 2>&1 &
	XPID=$!
	PIDS+=("$XPID")
	for _ in $(seq 100); do
		if grep -q '^READY=1' "$TMP/notify.log"; then
			in_ns r$TAG "$XGRO" status vr$TAG --json | grep -q "\"pid\":$XPID,\"running\":true,\"ready\":true" ||
				fail "READY=1 before status says ready" || return 1
			return 0
		fi
		kill -0 "$XPID" 2>/dev/null || break
		sleep 0.05
	done
	fail "no READY=1 from ExecStart: $(cat "$TMP/unit.log")"
}

stop_post() { # ExecStopPost, as systemd runs it after the main process ends
	local -a cmd
	read -ra cmd <<<"$(unit_line ExecStopPost)"
	nsenter --net=/run/netns/r$TAG "${cmd[@]}" >"$TMP/stoppost.log" 2>&1
}

test_unit_lifecycle() {
	pre || return $?
	[[ -x $PY ]] || { echo "needs $PY"; return 77; }
	mk_pair s$TAG r$TAG || return 1
	install_to "$TMP/root" SYSCONFDIR="$TMP/root/etc" || return 1
	mkdir -p "$TMP/root/etc/xgro"
	echo "flush-us = 77" >"$TMP/root/etc/xgro/vr$TAG.conf"
	listen "$TMP/notify.sock" || return 1
	start_unit "$TMP/notify.sock" || return 1
	in_ns r$TAG "$XGRO" status vr$TAG | grep -Eq "flush-us +77 +file$" ||
		fail "the unit's config file not read" || return 1
	# systemctl stop: SIGTERM to the main process, then ExecStopPost
	kill -TERM "$XPID"
	wait "$XPID" 2>/dev/null
	grep -q '^STOPPING=1' "$TMP/notify.log" || fail "no STOPPING=1" || return 1
	stop_post
	no_leftovers r$TAG vr$TAG || return 1
	# a crash: kill -9, then ExecStopPost cleans up (abstract socket now)
	listen "@xgro-test-$TAG" || return 1
	start_unit "@xgro-test-$TAG" || return 1
	kill -9 "$XPID"
	wait "$XPID" 2>/dev/null
	[[ -n $(leftovers r$TAG vr$TAG) ]] || fail "kill -9 left nothing to clean: test broken" || return 1
	stop_post || fail "ExecStopPost after kill -9: $(cat "$TMP/stoppost.log")" || return 1
	no_leftovers r$TAG vr$TAG
}

test_prometheus() {
	pre || return $?
	need_cmd iperf3 || return 77
	$PY -c 'import prometheus_client' 2>/dev/null ||
		{ echo "needs python3-prometheus-client"; return 77; }
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r || return 1
	start_xgro $r $ifc || return 1
	bg_ns $r timeout 60 iperf3 -s -1 -p 5201 >/dev/null 2>&1
	sleep 0.3
	in_ns s$TAG timeout 20 iperf3 -c 10.99.0.2 -p 5201 -n 4M >/dev/null || fail "iperf3" || return 1
	sleep 0.3 # the last ACKs and the workers' next samples
	in_ns $r "$XGRO" stats $ifc --json >"$TMP/stats.json" || return 1
	in_ns $r "$XGRO" stats $ifc --prometheus >"$TMP/stats.prom" || return 1
	$PY - "$TMP/stats.json" "$TMP/stats.prom" "$ifc" <<-'EOF' || return 1
	import json, sys
	from prometheus_client.parser import text_string_to_metric_families
	j = json.load(open(sys.argv[1]))
	fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[2]).read())}
	def one(name, **labels):
	    f = fams[name]
	    return sum(s.value for s in f.samples
	               if all(s.labels.get(k) == v for k, v in labels.items()))
	bad = []
	for f in fams.values():
	    for s in f.samples:
	        if s.labels.get("interface") != sys.argv[3]:
	            bad.append("%s: labels %s" % (s.name, s.labels))
	for k, v in j["xdp"].items():
	    if k == "passed": continue
	    if fams["xgro_xdp_" + k].type != "counter": bad.append(k + " not a counter")
	    # the second reading may have seen a stray frame more (neighbour
	    # discovery, say) that the program passed: those only grow, a little
	    p = one("xgro_xdp_" + k)
	    if (k == "rx" or k.startswith("pass_")) and v <= p <= v + 16: continue
	    if p != v: bad.append("xdp.%s: %s != %s" % (k, p, v))
	for k in ("packets_in", "superpackets_out", "segments_merged", "bytes_in", "csum_bad"):
	    if one("xgro_engine_" + k) != j["engine"][k]:
	        bad.append("engine.%s: %s != %s" % (k, one("xgro_engine_" + k), j["engine"][k]))
	for k in ("rx_dropped", "rx_ring_full", "rx_fill_ring_empty_descs", "dropped"):
	    if fams["xgro_xsk_" + k].type != "counter": bad.append(k + " not a counter")
	    if one("xgro_xsk_" + k) != j["xsk"][k]: bad.append("xsk." + k)
	for k in ("rx_size", "fill_size", "rx_pending", "fill_stocked", "umem_frames"):
	    if fams["xgro_xsk_" + k].type != "gauge": bad.append(k + " not a gauge")
	    for q in j["queues"]:
	        if k in ("rx_size", "fill_size", "umem_frames") and \
	           one("xgro_xsk_" + k, queue=str(q["queue"])) != q[k]:
	            bad.append("queue %d %s" % (q["queue"], k))
	if one("xgro_xdp_steered") <= 0: bad.append("nothing steered")
	if one("xgro_engine_packets_in", queue="0") <= 0: bad.append("no queue label")
	print("\n".join(bad) or "ok")
	sys.exit(1 if bad else 0)
	EOF
	# --watch: every sample a whole exposition
	in_ns $r timeout 2.5 "$XGRO" stats $ifc --prometheus --watch 1 >"$TMP/watch.prom"
	$PY - "$TMP/watch.prom" <<-'EOF' || fail "--watch output does not parse" || return 1
	import sys
	from prometheus_client.parser import text_string_to_metric_families
	blocks = open(sys.argv[1]).read().split("# HELP xgro_xdp_rx_total")[1:]
	assert len(blocks) >= 2, len(blocks)
	for b in blocks:
	    assert len(list(text_string_to_metric_families("# HELP xgro_xdp_rx_total" + b))) > 40
	EOF
}

test_warns_about_firewall_rules() {
	pre || return $?
	need_cmd nft || return 77
	local r=r$TAG ifc=vr$TAG
	mk_pair s$TAG $r || return 1
	in_ns $r nft add table inet t$TAG &&
		in_ns $r nft add chain inet t$TAG input '{ type filter hook input priority 0; }' &&
		in_ns $r nft add rule inet t$TAG input iifname $ifc tcp dport 22 accept || return 1
	start_xgro $r $ifc || return 1
	grep -q "nftables rule 'iifname \"$ifc\" tcp dport 22 accept' (table inet t$TAG, chain input) matches input on $ifc" \
		"$TMP/xgro-$ifc.log" || fail "no nftables warning: $(cat "$TMP/xgro-$ifc.log")" || return 1
	stop_xgro
	# none without such a rule
	in_ns $r nft delete table inet t$TAG || return 1
	start_xgro $r $ifc || return 1
	! grep -q "rule" "$TMP/xgro-$ifc.log" || fail "warned without a rule: $(cat "$TMP/xgro-$ifc.log")"
}

run_tests
