# shellcheck shell=bash
# Hosts of our own for the tests and the benchmarks: network namespaces
# joined by veth pairs, names unique to this run (TAG), everything removed
# on exit, also on failure. Traffic stays between these namespaces; the
# host's own interfaces are never touched, and only processes started here
# (PIDS) are ended, by PID.

set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin # bpftool, ip, tc live there
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
XGRO=$ROOT/build/xgro
XFER=$ROOT/build/tests/xgro-xfer
TAG=${TAG:-$$}
NS=()        # namespaces to delete
PIDS=()      # processes we started, to end by PID
TMP=

cleanup() {
	local p ns
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for ns in "${NS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	# an instance killed by a test leaves state: clean it like a user would
	for f in /run/xgro/*"$TAG"*.state; do
		[[ -e "$f" ]] || continue
		"$XGRO" detach "$(sed -n 's/^ifname //p' "$f")" \
			--pin-dir "$(sed -n 's/^pin_dir //p' "$f")" --netns all >/dev/null 2>&1
	done
	[[ -n "$TMP" ]] && rm -rf "$TMP"
}

# need_root / need_cmd: reasons to skip, printed by the caller.
need_root() { [[ $EUID -eq 0 ]] || { echo "needs root"; return 1; }; }
need_cmd() { command -v "$1" >/dev/null || { echo "needs $1"; return 1; }; }

in_ns() { # NS CMD...: nsenter keeps the host's bpffs (ip netns exec would not)
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@"
}

# bg_ns NS CMD...: in the background, its own pid recorded (not a
# subshell's), so that cleanup ends exactly it
bg_ns() {
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" "$@" &
	PIDS+=($!)
}

# mk_pair SENDER_NS RECEIVER_NS [QUEUES]: two hosts on one wire. The
# sender's offloads are off so frames leave MTU-sized with full checksums,
# as on a real wire; the receiver verifies checksums itself.
mk_pair() {
	local s=$1 r=$2 q=${3:-1}
	ip netns add "$s" && NS+=("$s")
	ip netns add "$r" && NS+=("$r")
	ip link add "vs$TAG" numtxqueues "$q" numrxqueues "$q" netns "$s" type veth \
		peer name "vr$TAG" numtxqueues "$q" numrxqueues "$q" netns "$r" || return 1
	ip -n "$s" addr add 10.99.0.1/24 dev "vs$TAG"
	ip -n "$r" addr add 10.99.0.2/24 dev "vr$TAG"
	ip -n "$s" addr add fd99::1/64 dev "vs$TAG" nodad
	ip -n "$r" addr add fd99::2/64 dev "vr$TAG" nodad
	ip -n "$s" link set lo up
	ip -n "$r" link set lo up
	ip -n "$s" link set "vs$TAG" up
	ip -n "$r" link set "vr$TAG" up
	# permanent neighbours: no ARP/ND noise in the counters
	local smac rmac
	smac=$(ip -n "$s" -br link show "vs$TAG" | awk '{print $3}')
	rmac=$(ip -n "$r" -br link show "vr$TAG" | awk '{print $3}')
	ip -n "$s" neigh replace 10.99.0.2 lladdr "$rmac" dev "vs$TAG" nud permanent
	ip -n "$r" neigh replace 10.99.0.1 lladdr "$smac" dev "vr$TAG" nud permanent
	ip -n "$s" neigh replace fd99::2 lladdr "$rmac" dev "vs$TAG" nud permanent
	ip -n "$r" neigh replace fd99::1 lladdr "$smac" dev "vr$TAG" nud permanent
	in_ns "$s" ethtool -K "vs$TAG" tso off gso off tx off >/dev/null
	in_ns "$r" ethtool -K "vr$TAG" rx off >/dev/null
}

# mk_relay SENDER_NS RELAY_NS RECEIVER_NS: the sender and the receiver on
# one subnet, joined through a relay namespace whose two veth ends carry
# frames across (an L2 wire: `xgro-xfer relay`, started by the test, which
# may reorder). Impairments go on the relay's egress towards the receiver
# (mr$TAG), where frames are wire-sized and carry final checksums.
mk_relay() {
	local s=$1 m=$2 r=$3
	ip netns add "$s" && NS+=("$s")
	ip netns add "$m" && NS+=("$m")
	ip netns add "$r" && NS+=("$r")
	ip link add "vs$TAG" netns "$s" type veth peer name "ms$TAG" netns "$m" || return 1
	ip link add "mr$TAG" netns "$m" type veth peer name "vr$TAG" netns "$r" || return 1
	ip -n "$s" addr add 10.99.0.1/24 dev "vs$TAG"
	ip -n "$r" addr add 10.99.0.2/24 dev "vr$TAG"
	local i
	for i in "$s vs$TAG" "$m ms$TAG" "$m mr$TAG" "$r vr$TAG"; do
		set -- $i
		ip -n "$1" link set "$2" up
		# full checksums and wire-sized frames both ways: the relay
		# copies bytes, no offload state crosses it
		in_ns "$1" ethtool -K "$2" tso off gso off tx off >/dev/null 2>&1
	done
	in_ns "$r" ethtool -K "vr$TAG" rx off >/dev/null
	local smac rmac
	smac=$(ip -n "$s" -br link show "vs$TAG" | awk '{print $3}')
	rmac=$(ip -n "$r" -br link show "vr$TAG" | awk '{print $3}')
	ip -n "$s" neigh replace 10.99.0.2 lladdr "$rmac" dev "vs$TAG" nud permanent
	ip -n "$r" neigh replace 10.99.0.1 lladdr "$smac" dev "vr$TAG" nud permanent
}

# start_xgro NS IFACE ARGS...: attach in the background; waits until the
# instance is up. Sets XPID.
start_xgro() {
	local ns=$1 ifc=$2
	shift 2
	# nsenter itself, not a shell function: $! must be xgro's pid (an
	# XGRO_WRAP command, e.g. setpriv, must exec it in turn)
	${XGRO_WRAP:-} nsenter --net=/run/netns/"$ns" "$XGRO" attach "$ifc" "$@" \
		>"$TMP/xgro-$ifc.log" 2>&1 &
	XPID=$!
	PIDS+=("$XPID")
	# ready through its state, not through what it prints
	for _ in $(seq 100); do
		nsenter --net=/run/netns/"$ns" "$XGRO" status "$ifc" --json --netns all 2>/dev/null |
			grep -q "\"pid\":$XPID,\"running\":true,\"ready\":true" && return 0
		kill -0 "$XPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "xgro attach failed: $(cat "$TMP/xgro-$ifc.log")"
	return 1
}

# stop_xgro: SIGTERM and wait.
stop_xgro() {
	kill -TERM "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
}
