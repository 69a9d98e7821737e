#!/bin/bash
# xgro on a real NIC driver: a qemu guest with a two-queue virtio-net
# device (virtio_net has AF_XDP zero-copy since 6.11), booted from Debian
# bookworm-backports' 6.12 kernel and an initramfs made here (busybox,
# xgro and its libraries, the traffic tool). The guest runs
# tests/vm/guest.sh as its init; this side feeds it TCP through the tap
# under qemu's virtio-net device, reads its serial console and prints
# PASS:/FAIL:/SKIP: lines.
#
# The kernel package is fetched once with `apt-get download` through a
# private apt configuration (the host's sources are not touched) and kept
# under build/vm/. Everything else (network namespace, tap, qemu, files)
# is removed on exit, also on failure.
#
#   XGRO_VM_ACCEL=kvm|tcg   accelerator (default: kvm where /dev/kvm opens)
#   XGRO_VM_TESTS=a,b       guest tests (zerocopy,kill9,copy,multiqueue)
#   XGRO_VM_BYTES=N         bytes of one bulk transfer
set -uo pipefail
export PATH=$PATH:/usr/sbin:/sbin
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=$ROOT/build
XGRO=$B/xgro
XFER=$B/tests/xgro-xfer
CACHE=$B/vm
TAG=$$
NS=xgro-vm-$TAG
TAP=xvm$TAG
HOST_IP=10.77.0.1
GUEST_IP=10.77.0.2
GUEST_MAC=52:54:00:78:67:02
SUITE=vm
TESTS=${XGRO_VM_TESTS:-zerocopy,kill9,copy,multiqueue}
BYTES=${XGRO_VM_BYTES:-$((64 << 20))}
# virtio_net advertises AF_XDP zero-copy from 6.13 on (its RX code is in
# 6.11 and 6.12, the NETDEV_XDP_ACT_XSK_ZEROCOPY flag is not): bookworm-
# backports' 6.12 binds copy only, trixie-backports carries a newer one
SUITE_APT=${XGRO_VM_SUITE:-trixie-backports}
MODULES="virtio_net tun" # =m in Debian's config; the rest is built in
TMP= QPID= NS_MADE= SPIDS=()

cleanup() {
	local p
	[[ -n $QPID ]] && kill -9 "$QPID" 2>/dev/null && wait "$QPID" 2>/dev/null
	for p in "${SPIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for p in "${SPIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	[[ -n $NS_MADE ]] && ip netns del "$NS" 2>/dev/null
	[[ -n $TMP ]] && rm -rf "$TMP"
}
trap cleanup EXIT

skip() { echo "SKIP: $SUITE/guest: $*"; exit 0; }
die() { echo "FAIL: $SUITE/guest: $*"; exit 1; }

[[ $EUID -eq 0 ]] || skip "needs root"
[[ -x $XGRO && -x $XFER ]] || die "build first (make test-build)"
for c in qemu-system-x86_64 apt-get dpkg-deb cpio xz ethtool; do
	command -v "$c" >/dev/null || skip "needs $c (scripts/deps.sh --test installs it)"
done
BUSYBOX=$(command -v busybox) || skip "needs busybox-static"
ldd "$BUSYBOX" >/dev/null 2>&1 && skip "$BUSYBOX is not static (install busybox-static)"
TMP=$(mktemp -d /tmp/xgro-vm.XXXXXX)

# --- the kernel ---------------------------------------------------------

# apt_private: an apt configuration of our own with $SUITE_APT only: own
# sources, lists and cache; the host's dpkg status read, nothing installed
apt_private() {
	local d=$TMP/apt
	mkdir -p "$d"/sources.list.d "$d"/preferences.d "$d"/state/lists/partial \
		"$d"/cache/archives/partial
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
		"http://deb.debian.org/debian $SUITE_APT main" >"$d/sources.list"
	cat >"$d/apt.conf" <<-EOF
		Dir::Etc::sourcelist "$d/sources.list";
		Dir::Etc::sourceparts "$d/sources.list.d";
		Dir::Etc::preferencesparts "$d/preferences.d";
		Dir::State "$d/state";
		Dir::State::status "/var/lib/dpkg/status";
		Dir::Cache "$d/cache";
		APT::Sandbox::User "root";
	EOF
	export APT_CONFIG=$d/apt.conf
}

# mod_file TREE NAME: the module's file in the extracted packages
mod_file() {
	find "$1" -path '*/modules/*' \( -name "$2.ko" -o -name "$2.ko.xz" \) | head -1
}

# mod_order TREE NAME: NAME after its dependencies, one a line, from
# the modules' own modinfo (no depmod, no kmod needed)
mod_order() {
	local f dep
	f=$(mod_file "$1" "$2")
	[[ -n $f ]] || { echo "no module $2 in the packages" >&2; return 1; }
	for dep in $(xz -dcf "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr , ' '); do
		mod_order "$1" "$dep" || return 1
	done
	echo "$2"
}

# fetch_kernel: build/vm/current/{vmlinuz,modules/,version}. The image
# package names its version; from 6.18 on Debian splits the kernel
# (linux-binary-*) and its modules (linux-modules-*) out of it.
fetch_kernel() {
	local cur=$CACHE/current ver x m p k pkgs=()
	[[ -e $cur/vmlinuz && -e $cur/modules/load ]] && return 0
	apt_private
	apt-get update -qq 2>"$TMP/apt.err" ||
		{ echo "apt-get update ($SUITE_APT): $(tail -1 "$TMP/apt.err")"; return 1; }
	ver=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -1)
	[[ -n $ver ]] || { echo "no linux-image-amd64 in $SUITE_APT"; return 1; }
	for p in linux-image linux-binary linux-modules; do
		apt-cache show "$p-$ver" >/dev/null 2>&1 && pkgs+=("$p-$ver")
	done
	(cd "$TMP" && apt-get download -qq "${pkgs[@]}" 2>"$TMP/apt.err") ||
		{ echo "apt-get download ${pkgs[*]}: $(tail -1 "$TMP/apt.err")"; return 1; }
	x=$TMP/kpkg
	for p in "${pkgs[@]}"; do
		dpkg-deb -x "$TMP/${p}"_*.deb "$x" || return 1
	done
	k=$(find "$x" -name "vmlinuz*" -type f | head -1)
	[[ -n $k ]] || { echo "no vmlinuz in ${pkgs[*]}"; return 1; }
	rm -rf "${CACHE:?}/$ver.new"
	mkdir -p "$CACHE/$ver.new/modules"
	cp "$k" "$CACHE/$ver.new/vmlinuz" || return 1
	for m in $MODULES; do
		mod_order "$x" "$m" || return 1
	done | awk '!seen[$0]++' >"$CACHE/$ver.new/modules/load" || return 1
	for m in $(cat "$CACHE/$ver.new/modules/load"); do
		xz -dcf "$(mod_file "$x" "$m")" >"$CACHE/$ver.new/modules/$m.ko" || return 1
	done
	echo "$ver ($SUITE_APT)" >"$CACHE/$ver.new/version"
	rm -rf "${CACHE:?}/$ver"
	mv "$CACHE/$ver.new" "$CACHE/$ver" && ln -sfn "$ver" "$cur"
}

# --- the guest's userspace ----------------------------------------------

# put FILE...: each file and the shared libraries it needs, at their paths
put() {
	local f l
	for f in "$@"; do
		mkdir -p "$R$(dirname "$f")"
		cp -L "$f" "$R$f"
		for l in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[[ -e $R$l ]] && continue
			mkdir -p "$R$(dirname "$l")"
			cp -L "$l" "$R$l"
		done
	done
}

initramfs() {
	local a
	R=$TMP/root
	mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,lib/modules}
	cp "$BUSYBOX" "$R/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[[ -e $R/bin/$a ]] || ln -s busybox "$R/bin/$a"
	done
	put "$XGRO" "$XFER" "$(command -v ethtool)"
	mv "$R$XGRO" "$R/usr/bin/xgro" && mv "$R$XFER" "$R/usr/bin/xgro-xfer"
	cp "$CACHE"/current/modules/* "$R/lib/modules/"
	install -m 755 "$ROOT/tests/vm/guest.sh" "$R/init"
	(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) >"$TMP/initrd.gz"
}

# --- the host side ------------------------------------------------------

# a namespace of our own holding the tap: the host's routes and
# addresses are not touched, and the guest reaches nothing else
host_net() {
	ip netns add "$NS" || return 1
	NS_MADE=1
	ip -n "$NS" link set lo up
	ip -n "$NS" tuntap add dev "$TAP" mode tap multi_queue || return 1
	ip -n "$NS" addr add "$HOST_IP/24" dev "$TAP"
	ip -n "$NS" link set "$TAP" up
	ip -n "$NS" neigh replace "$GUEST_IP" lladdr "$GUEST_MAC" dev "$TAP" nud permanent
}

ACCEL=${XGRO_VM_ACCEL:-auto}
accel() {
	case $ACCEL in
	tcg) echo "-accel tcg -cpu max" ;;
	kvm) echo "-accel kvm -cpu host" ;;
	*)
		if { exec 3<>/dev/kvm; } 2>/dev/null; then
			exec 3>&-
			echo "-accel kvm -cpu host"
		else
			echo "-accel tcg -cpu max"
		fi ;;
	esac
}

boot() {
	local ver
	ver=$(cat "$CACHE/current/version")
	# shellcheck disable=SC2046
	nsenter --net=/run/netns/"$NS" qemu-system-x86_64 $(accel) \
		-m 1024 -smp 2 -nodefaults -display none -no-reboot \
		-serial "file:$TMP/console" -monitor none \
		-kernel "$CACHE/current/vmlinuz" -initrd "$TMP/initrd.gz" \
		-append "console=ttyS0 quiet loglevel=3 panic=-1 xgro_ip=$GUEST_IP xgro_peer=$HOST_IP xgro_tests=$TESTS xgro_bytes=$BYTES${XGRO_VM_VERBOSE:+ xgro_v=1}" \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no,vhost=off,queues=2" \
		-device "virtio-net-pci,netdev=n0,mq=on,vectors=6,mac=$GUEST_MAC,disable-legacy=on,iommu_platform=on" \
		</dev/null >"$TMP/qemu.log" 2>&1 &
	QPID=$!
	echo "booting $ver ($(accel))"
}

declare -A WANT OWNER VERDICT REASON
ORDER=()
DONE=
DRV_RX=

# on_line LINE: one line from the guest
on_line() {
	local l=$1 cmd t p
	[[ $l == *"XGRO-VM: "* ]] || return 0
	l=${l#*XGRO-VM: }
	read -r cmd t p <<<"$l"
	case $cmd in
	BEGIN) CUR=$t ORDER+=("$t") ;;
	SEND) # PORT BYTES SEED
		read -r _ port bytes seed <<<"$l"
		nsenter --net=/run/netns/"$NS" timeout 600 "$XFER" send "$GUEST_IP" \
			"$port" "$bytes" "$seed" 2>>"$TMP/send.err" &
		SPIDS+=($!)
		WANT[$port]=$("$XFER" gen "$bytes" "$seed" | sha256sum | cut -d' ' -f1)
		OWNER[$port]=$CUR ;;
	GOT) # PORT SHA
		if [[ -z ${WANT[$t]:-} || $p != "${WANT[$t]}" ]]; then
			REASON[$CUR]+="port $t: sent ${WANT[$t]:-nothing}, received $p; "
		else
			echo "$CUR: port $t intact, SHA-256 $p"
		fi ;;
	JSON) read -r _ _ what json <<<"$l"
		echo "$json" >"$TMP/$t.$what.json"
		[[ $what == status ]] && echo "$t: status --json: $json" ;;
	END) VERDICT[$t]=$p ;;
	DONE) DONE=1 ;;
	INFO) echo "guest: ${l#INFO }"
		[[ $l == *"eth0 rings"* ]] &&
			DRV_RX=$(echo "$l" | sed -n 's/.*Current hardware settings: RX: \([0-9]*\).*/\1/p') ;;
	esac
}

# watch SECS: reads the console until the guest is done or the time is up
watch_console() {
	local n=0 total line limit=$((SECONDS + $1))
	while :; do
		total=$( (wc -l <"$TMP/console") 2>/dev/null || echo 0)
		if ((total > n)); then
			while IFS= read -r line; do
				on_line "${line%$'\r'}"
			done < <(sed -n "$((n + 1)),${total}p" "$TMP/console")
			n=$total
		fi
		[[ -n $DONE ]] && return 0
		kill -0 "$QPID" 2>/dev/null || { sleep 0.2; [[ -n $DONE ]]; return; }
		((SECONDS < limit)) || return 1
		sleep 0.2
	done
}

# check TEST: the host's checks of the guest's figures
check() {
	local t=$1
	python3 - "$TMP" "$t" "${DRV_RX:-0}" <<-'EOF'
	import json, sys, os
	tmp, t, drv = sys.argv[1], sys.argv[2], int(sys.argv[3])
	def load(what):
	    p = os.path.join(tmp, f"{t}.{what}.json")
	    return json.load(open(p)) if os.path.exists(p) else None
	st, sx = load("status"), load("stats")
	bad = []
	want = {"zerocopy": "zerocopy", "kill9": "zerocopy", "copy": "copy",
	        "multiqueue": "zerocopy"}[t]
	if not st or not st["instances"]:
	    bad.append("no status")
	else:
	    i = st["instances"][0]
	    if i["xsk_mode"] != want:
	        bad.append(f"xsk_mode {i['xsk_mode']}, wanted {want}")
	    if i["mode"] != "native":
	        bad.append(f"XDP mode {i['mode']}")
	    if t == "multiqueue" and (i["queues"], i["workers"]) != (2, 2):
	        bad.append(f"{i['queues']} queues, {i['workers']} workers")
	if t != "kill9":
	    if not sx:
	        bad.append("no stats")
	    else:
	        e = sx["engine"]
	        segs = e["segments_merged"] / max(e["superpackets_out"], 1)
	        print(f"{t}: {segs:.1f} segments per super-packet, "
	              f"{e['rx_frames']} frames, {e['superpackets_out']} super-packets, "
	              f"driver ring held {sx['xsk']['kernel_held']} frames")
	        xdp = {k: v for k, v in sx["xdp"].items() if v}
	        steer = {k: v for k, v in sx["steering"].items() if v and k != "flows_now"}
	        print(f"{t}: XDP counters {xdp}, steering {steer}")
	        if segs < 2:
	            bad.append(f"only {segs:.1f} segments per super-packet")
	        # every frame carried the XDP program's metadata where the
	        # worker looks for it: in front of the data, past the headroom
	        for k in ("no_meta", "csum_bad", "ip_csum_bad", "malformed"):
	            if e[k]:
	                bad.append(f"{k} {e[k]}")
	        # sizing: in zero-copy mode the driver's RX ring is made of
	        # umem frames, so the umem must cover the socket's RX ring, the
	        # engine's hold (a quarter of the ring) and the driver's ring,
	        # and the fill ring must be able to stock the driver's ring
	        x = sx["xsk"]
	        nq = len(sx["queues"])
	        if not drv:
	            bad.append("driver RX ring size unknown")
	        elif x["umem_frames"] < nq * (x["rx_size"] // nq * 5 // 4 + drv):
	            bad.append(f"umem {x['umem_frames']} < RX ring + hold + driver ring {drv}")
	        elif x["fill_size"] < nq * drv:
	            bad.append(f"fill ring {x['fill_size']} < driver ring {drv}")
	        # zero-copy: the driver's ring holds umem frames; copy: none
	        if want == "zerocopy" and not 0 < x["kernel_held"] <= nq * drv:
	            bad.append(f"zero-copy, yet the driver holds {x['kernel_held']} umem frames")
	        if want == "copy" and x["kernel_held"]:
	            bad.append(f"copy mode, yet {x['kernel_held']} umem frames held by the kernel at rest")
	        if t == "multiqueue":
	            for q in sx["queues"]:
	                if not q["rx_frames"]:
	                    bad.append(f"queue {q['queue']} took no frame")
	if bad:
	    print("because: " + "; ".join(bad))
	sys.exit(1 if bad else 0)
	EOF
}

start=$SECONDS
err=$(fetch_kernel) || skip "kernel package: $err"
echo "kernel: $(cat "$CACHE/current/version") (modules: $(tr '\n' ' ' <"$CACHE/current/modules/load"))"
initramfs || die "initramfs"
host_net || die "host network (tap $TAP)"
boot
# a /dev/kvm that opens may still not run this guest (nested
# virtualization without the instructions the kernel uses): then TCG
if [[ $(accel) == *kvm* ]]; then
	for _ in $(seq 300); do
		grep -q "XGRO-VM: " "$TMP/console" 2>/dev/null && break
		if grep -q "KVM internal error" "$TMP/qemu.log" || ! kill -0 "$QPID" 2>/dev/null; then
			echo "KVM does not run the guest ($(grep -m1 -E 'error|Assert' "$TMP/qemu.log")): TCG instead"
			kill -9 "$QPID" 2>/dev/null
			wait "$QPID" 2>/dev/null
			ACCEL=tcg
			rm -f "$TMP/console"
			boot
			break
		fi
		sleep 0.2
	done
fi
watch_console "${XGRO_VM_TIMEOUT:-600}"
secs=$((SECONDS - start))
if [[ -z $DONE ]]; then
	echo "guest console (last lines):"
	tail -20 "$TMP/console" | sed 's/^/    /'
	tail -5 "$TMP/qemu.log" | sed 's/^/    qemu: /'
fi
rc=0
for t in ${TESTS//,/ }; do
	out=
	if [[ -z ${VERDICT[$t]:-} ]]; then
		r="did not finish in the guest"
	elif [[ ${VERDICT[$t]} != ok ]]; then
		r="guest: ${VERDICT[$t]}"
	else
		r=${REASON[$t]:-}
		out=$(check "$t") || r+=$(echo "$out" | sed -n 's/^because: //p')
		echo "$out" | grep -v '^because: ' 
	fi
	if [[ -z $r ]]; then
		echo "PASS: $SUITE/$t"
	else
		echo "FAIL: $SUITE/$t: $r"
		rc=1
	fi
done
echo "guest run: ${secs}s with $(accel | cut -d' ' -f2) (from start, kernel cached)"
exit $rc
