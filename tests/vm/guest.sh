#!/bin/sh
# The guest's /init (busybox sh): xgro on the guest's virtio-net eth0 with
# a real driver underneath, AF_XDP zero-copy and copy, a worker killed
# mid-transfer, two queues with two workers. The host-side harness
# (tests/vm/test-vm.sh) reads the serial console; every line for it starts
# with "XGRO-VM: ":
#   BEGIN TEST            a test starts
#   SEND PORT BYTES SEED  the host is to send that stream to PORT (the
#                         receiver is listening)
#   GOT PORT SHA256       what arrived on PORT
#   JSON TEST WHAT {...}  xgro's status or stats, for the host to check
#   INFO TEXT             for the log
#   END TEST ok|REASON    the guest's own verdict on TEST
#   DONE                  all tests ran
# The kernel is told the guest's address (xgro_ip=), the host's
# (xgro_peer=) and which tests to run (xgro_tests=).
PATH=/bin:/sbin:/usr/bin:/usr/sbin
XGRO_V=
export PATH

# straight to the console: a test's own output goes to a file
say() { echo "XGRO-VM: $*" >/dev/console; }

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t bpf bpf /sys/fs/bpf
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
exec </dev/console >/dev/console 2>&1

for w in $(cat /proc/cmdline); do
	case $w in
	xgro_ip=*) IP=${w#*=} ;;
	xgro_peer=*) PEER=${w#*=} ;;
	xgro_tests=*) TESTS=$(echo "${w#*=}" | tr , ' ') ;;
	xgro_bytes=*) BYTES=${w#*=} ;;
	xgro_v=1) XGRO_V=-v ;;
	esac
done

# virtio_net is a module in Debian's kernel: it and its dependencies, in
# order (the harness wrote the list), then tun for xgro's tap
for m in $(cat /lib/modules/load); do
	insmod "/lib/modules/$m.ko" || say "INFO insmod $m failed"
done
for _ in $(seq 50); do
	[ -e /sys/class/net/eth0 ] && break
	sleep 0.1
done
ip link set lo up
ip link set eth0 up
ip addr add "$IP/24" dev eth0
say "INFO kernel $(uname -r), $(nproc) CPUs, eth0 driver $(basename "$(readlink /sys/class/net/eth0/device/driver)"), $(ls /sys/class/net/eth0/queues | grep -c rx) RX queues"
say "INFO eth0 rings: $(ethtool -g eth0 | tr -s '\t\n ' ' ')"
# let the host's first frames through before anything is measured
for _ in $(seq 50); do
	ping -c 1 -W 1 "$PEER" >/dev/null 2>&1 && break
done

XL=/tmp/xgro.log
XPID=

json() { # TEST WHAT: xgro's JSON on one line, for the host
	case $2 in
	status) say "JSON $1 status $(xgro status eth0 --json | tr -d '\n')" ;;
	stats) say "JSON $1 stats $(xgro stats eth0 --json | tr -d '\n')" ;;
	esac
}

# num KEY: the first "KEY":N of the stats (the engine's, which come first)
num() { xgro stats eth0 --json | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }

# xdp_steered: frames the XDP program redirected so far
xdp_steered() {
	xgro stats eth0 --json | grep -o '"xdp":{[^}]*' | grep -o '"steered":[0-9]*' |
		cut -d: -f2
}

start() { # ARGS...: attach in the background, wait until it is up
	xgro attach eth0 "$@" $XGRO_V >$XL 2>&1 &
	XPID=$!
	for _ in $(seq 100); do
		xgro status eth0 --json 2>/dev/null | grep -q '"ready":true' && return 0
		kill -0 $XPID 2>/dev/null || break
		sleep 0.1
	done
	say "INFO attach: $(tr '\n' ' ' <$XL)"
	say "INFO kernel log: $(dmesg | tail -5 | tr '\n' ' ')"
	return 1
}

stop() {
	kill -TERM $XPID 2>/dev/null
	wait $XPID 2>/dev/null
}

# recv PORT BYTES SEED: a receiver on PORT, then the host is asked to send
recv() {
	(xgro-xfer recv "$1" | sha256sum | cut -d' ' -f1 >/tmp/got.$1) &
	RPID=$!
	sleep 0.3
	say "SEND $1 $2 $3"
}

# got PORT: waits for the receiver of PORT and reports its hash
got() {
	local n=0
	while [ ! -s /tmp/got.$1 ] && [ $n -lt 1200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	[ -s /tmp/got.$1 ] || { say "GOT $1 none"; return 1; }
	say "GOT $1 $(cat /tmp/got.$1)"
}

in_flight_zero() {
	local n
	for _ in $(seq 40); do
		n=$(num frames_in_flight)
		[ "$n" = 0 ] && return 0
		sleep 0.1
	done
	echo "frames in flight after the traffic: $n"
	return 1
}

leftovers() {
	ip link show eth0 | grep -q "xdp" && echo "XDP program on eth0"
	[ -e /sys/fs/bpf/xgro/eth0 ] && echo "pins in /sys/fs/bpf/xgro/eth0"
	ls /run/xgro/eth0.* >/dev/null 2>&1 && echo "state in /run/xgro"
	ip link show | grep -q ": xg" && echo "tap left"
	true
}

# bulk TEST MODE-ARGS...: one transfer through xgro, then its figures
bulk() {
	local t=$1 port=$2
	shift 2
	local try before steered
	# release-segs 0: what a flow merges is not judged here (the e2e
	# tests do that), the driver's path is
	start --release-segs 0 "$@" || { echo "attach failed"; return 1; }
	json "$t" status
	for try in 1 2 3; do
		before=$(xdp_steered)
		recv "$port" "$BYTES" "$port"
		got "$port" || { echo "nothing received"; return 1; }
		steered=$(($(xdp_steered) - before))
		# Under emulation the worker can be late when a flow's first
		# frame comes, and admission then refuses the flow (it fails
		# open: the kernel's path). A fresh flow is judged instead.
		[ $steered -ge $((BYTES / 1448 / 2)) ] && break
		say "INFO $t: flow on port $port: $steered frames steered, another flow"
		port=$((port + 10))
	done
	in_flight_zero || return 1
	json "$t" stats
	stop
	local left
	left=$(leftovers)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

test_zerocopy() { bulk zerocopy 7001 --zero-copy --flush-us 200; }
test_copy() { bulk copy 7002 --copy --flush-us 200; }

test_multiqueue() {
	local p
	start --cpus 0-1 --flush-us 200 || { echo "attach failed"; return 1; }
	json multiqueue status
	# twelve flows: the host's tap spreads them over both queues by hash
	for p in $(seq 7100 7111); do
		recv "$p" $((BYTES / 8)) "$p"
	done
	for p in $(seq 7100 7111); do
		got "$p" || { echo "flow $p: nothing received"; return 1; }
	done
	in_flight_zero || return 1
	json multiqueue stats
	stop
	local left
	left=$(leftovers)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

test_kill9() {
	local n=0 rx
	start --zero-copy || { echo "attach failed"; return 1; }
	json kill9 status
	recv 7200 $((BYTES * 4)) 7200
	# kill the worker once it is busy with this transfer
	while [ $n -lt 600 ]; do
		rx=$(num rx_frames)
		[ "${rx:-0}" -gt 2000 ] && break
		sleep 0.05
		n=$((n + 1))
	done
	[ -s /tmp/got.7200 ] && { echo "the transfer ended before the kill"; return 1; }
	kill -9 $XPID
	say "INFO kill -9 after $rx frames taken"
	got 7200 || { echo "nothing received after kill -9"; return 1; }
	wait $XPID 2>/dev/null
	xgro detach eth0 >/dev/null || { echo "detach failed"; return 1; }
	local left
	left=$(leftovers)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

for t in $TESTS; do
	say "BEGIN $t"
	XPID=
	test_$t >/tmp/out.$t 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		say "END $t ok"
	else
		say "END $t $(tail -2 /tmp/out.$t | tr '\n' ' ')"
		# whatever the test left running or attached
		stop
		xgro detach eth0 >/dev/null 2>&1
	fi
done
say DONE
poweroff -f
