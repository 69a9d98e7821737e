#!/bin/bash
# End-to-end benchmark: bulk TCP from a sender namespace to a receiver
# namespace over veth (sender TSO, GSO and TX checksum offload off: MTU
# frames with full checksums, as on a real wire), through each receive path
# in turn, at several flow counts and in three regimes. Runs are interleaved
# (every path once, then again) and medians kept.
#
#   scripts/bench-e2e.sh [--flows LIST] [--regimes LIST] [--rate GBIT]
#                        [--runs N] [--secs S] [--only REGEX] [--bare]
#                        [--no-rr] [--profile FLOWS] [--wire] [--xgro-args ARGS]
#                        [--path 'NAME|xgro OPTIONS'] [--mtu N] [--plot] [--demo]
#
# --flows    parallel TCP streams, e.g. 1,8,64,256 (default)
# --regimes  full: as fast as it goes; paced: --rate Gbit/s in total (2);
#            onecpu: everything pinned to CPU 0, so Gbit/s is cost per byte
#            (default full,paced,onecpu)
# --only     the paths whose names match REGEX (grep -E)
# --bare     add a row per path on the bare bed (sender not modelled), at
#            full speed
# --no-rr    skip the request/response latency rows
# --profile  perf record -a -g the first full-speed run of each path at
#            FLOWS flows, and print where the CPU went by stage
#            (scripts/perf-stages.py), naming what a zero-copy NIC removes
# --wire     the wire bed: xgro-wire sends TCP as XDP frames (no sender
#            stack, no clone copy; docs/wire.md) instead of iperf3
# --xgro-args  more `xgro attach` options for every xgro path, e.g. '--ring 2048'
# --path     one more path, interleaved with the others (repeatable), e.g.
#            --path 'xgro, ring 2048|xgro --ring 2048'
# --mtu      the link's MTU, e.g. 9000 (jumbo frames: xgro takes them with
#            multi-buffer XDP; the bed column says "model mtu9000"; the
#            cpumap row is skipped over 3,500, its program is single-buffer)
# --demo     GRO off and xgro at 1 and 64 flows, full speed (make demo)
#
# The sender is modelled as another machine (the "model" bed): it runs on
# CPU 0 and RPS on its veth processes the ACKs it receives there, so the
# receiver's ACK does not run the sender's TCP in the receiver's thread. The
# receiver's application and xgro's worker run on CPU 1. CPU is the busy
# time of all CPUs (wall x CPUs minus cpuidle residency, minus the time the
# hypervisor stole from a vCPU that had work) per GB received:
# this kernel samples process times at the tick, so /proc/stat would lie
# (its steal column is kept from the steal clock, not sampled). "stolen" is
# that steal as a share of wall x CPUs: a vCPU taken away longer than a
# receive ring lasts (4,096 frames: 13 ms at 3.7 Gbit/s) loses frames on
# every path, which is where most frames lost on this bed come from.
#
# Output: a markdown table per regime, JSON lines in build/bench/e2e.jsonl,
# with --plot a PNG chart in build/bench/e2e.png (gnuplot).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 SECS=4 PLOT= DEMO= ONLY_RE= BARE= RR=1 PROFILE= WIRE= XGRO_ARGS= EXTRA=() WIRE_SPORT=0
FLOWS=1,8,64,256 REGIMES=full,paced,onecpu RATE=2 MTU=1500
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--flows) FLOWS=$2; shift 2 ;;
	--regimes) REGIMES=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--plot) PLOT=1; shift ;;
	--only) ONLY_RE=$2; shift 2 ;;
	--bare) BARE=1; shift ;;
	--no-rr) RR=; shift ;;
	--profile) PROFILE=$2; shift 2 ;;
	--wire) WIRE=1; shift ;;
	--xgro-args) XGRO_ARGS=$2; shift 2 ;;
	--path) EXTRA+=("$2"); shift 2 ;;
	--mtu) MTU=$2; shift 2 ;;
	--demo) DEMO=1; RUNS=${RUNS_DEMO:-1}; SECS=4; FLOWS=1,64; REGIMES=full; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "bench-e2e: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ $EUID -eq 0 ]] || { echo "bench-e2e: needs root (namespaces, XDP)" >&2; exit 1; }
[[ $(nproc) -ge 2 ]] || { echo "bench-e2e: needs 2 CPUs (sender and receiver)" >&2; exit 1; }
TAG=b$$
source "$ROOT/scripts/netns.sh"
XFER=$ROOT/build/tests/xgro-xfer
WIREGEN=$ROOT/build/tests/xgro-wire
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/xgro-bench.XXXXXX)
S=s$TAG R=r$TAG VS=vs$TAG VR=vr$TAG

# name|how: kernel paths toggle the receiver's GRO; xgro paths attach
PATHS=(
	"kernel, GRO off|kernel off"
	"kernel, GRO on|kernel on"
	"XDP into cpumap, kernel GRO|cpumap"
	"xgro defaults|xgro"
)
# On the wire bed frames arrive as XDP frames, which a veth takes only with
# NAPI: GRO on, or an XDP program (here one that passes everything).
[[ -n $WIRE ]] && PATHS=(
	"kernel, GRO off|kernel off pass"
	"kernel, GRO on|kernel on"
	"kernel, GRO on, XDP_PASS|kernel on pass"
	"XDP into cpumap, kernel GRO|cpumap"
	"xgro defaults|xgro"
)
[[ -n $DEMO ]] && PATHS=("kernel, GRO off|kernel off" "xgro defaults|xgro")
PATHS+=("${EXTRA[@]}")
[[ -n $WIRE && -n $BARE ]] && { echo "bench-e2e: --bare is an iperf3 bed: not with --wire" >&2; exit 2; }
[[ -n $WIRE && $MTU != 1500 ]] && { echo "bench-e2e: --mtu is for the iperf3 beds: not with --wire" >&2; exit 2; }
export BENCH_MTU=$MTU
[[ -n $WIRE && ! -x $WIREGEN ]] && { echo "bench-e2e: $WIREGEN missing (make build/tests/xgro-wire)" >&2; exit 1; }

CPUMAP_OBJ=$ROOT/build/bench/cpumap.bpf.o
CPUMAP_PIN=/sys/fs/bpf/xgro-bench-$TAG
cpumap_supported() {
	local v
	v=$(uname -r | awk -F. '{print $1 * 100 + $2}')
	[[ $v -ge 615 && -e $CPUMAP_OBJ ]]
}
# The kernel's XDP-into-cpumap GRO (6.15+): bench/cpumap.bpf.c redirects
# every frame to the receiver's CPU, whose cpumap entry has a 2048-frame queue.
cpumap_on() { # CPU
	mkdir -p "$CPUMAP_PIN" &&
	bpftool prog load "$CPUMAP_OBJ" "$CPUMAP_PIN/prog" type xdp pinmaps "$CPUMAP_PIN" &&
	bpftool map update pinned "$CPUMAP_PIN/target" key 0 0 0 0 value "$1" 0 0 0 &&
	bpftool map update pinned "$CPUMAP_PIN/cpumap" key "$1" 0 0 0 value 0 8 0 0 0 0 0 0 &&
	in_ns $R ip link set dev $VR xdpdrv pinned "$CPUMAP_PIN/prog"
}
cpumap_off() {
	in_ns $R ip link set dev $VR xdpdrv off 2>/dev/null
	rm -rf "$CPUMAP_PIN"
}
trap 'cpumap_off; cleanup' EXIT

if ! cpumap_supported || [[ $MTU -gt 3500 ]]; then
	echo "bench-e2e: no XDP-into-cpumap GRO here (kernel < 6.15, not built, or MTU $MTU over its single-buffer program): row skipped" >&2
	for i in "${!PATHS[@]}"; do
		[[ ${PATHS[$i]} == *"|cpumap" ]] && unset 'PATHS[i]'
	done
fi
if [[ -n $ONLY_RE ]]; then
	for i in "${!PATHS[@]}"; do
		echo "${PATHS[$i]%%|*}" | grep -Eq -- "$ONLY_RE" || unset 'PATHS[i]'
	done
	[[ ${#PATHS[@]} -gt 0 ]] || { echo "bench-e2e: --only '$ONLY_RE' matches no path" >&2; exit 2; }
fi

mk_pair $S $R || exit 1
in_ns $R ethtool -K $VR gro off >/dev/null
if [[ $MTU != 1500 ]]; then
	ip -n $S link set $VS mtu "$MTU" && ip -n $R link set $VR mtu "$MTU" || exit 1
fi

# bed model|bare: the model bed treats the sender as another machine. Its
# ACK processing runs on its own CPU (RPS on its veth), and its veth has a
# qdisc: a full receiver XDP ring (256 frames) then stops the queue, as a
# full NIC ring would, instead of dropping (veth backpressure, 6.16+).
# The wire bed's sender has no stack: nothing to model.
bed() {
	local rps=0 q=noqueue
	[[ $1 == model ]] && rps=1 q="pfifo limit 1000" # CPU 0: the sender's
	# sysfs is per namespace: ip netns exec mounts the namespace's own
	ip netns exec $S sh -c "echo $rps > /sys/class/net/$VS/queues/rx-0/rps_cpus"
	tc -n $S qdisc replace dev $VS root $q 2>/dev/null ||
		tc -n $S qdisc del dev $VS root 2>/dev/null
}

busy_us() { # all CPUs' busy time so far: uptime x CPUs minus idle residency
	local idle up
	idle=$(cat /sys/devices/system/cpu/cpu*/cpuidle/state*/time | awk '{s += $1} END {printf "%.0f", s}')
	up=$(awk '{printf "%.0f", $1 * 1e6}' /proc/uptime)
	echo $((up * $(nproc) - idle))
}
stolen_us() { # all CPUs' steal time so far: the hypervisor ran someone else
	# while a vCPU had work (a share of busy_us, never of idle)
	awk -v hz="$(getconf CLK_TCK)" '/^cpu[0-9]/ { s += $9 } END { printf "%.0f", s * 1e6 / hz }' /proc/stat
}
rx_dropped() { ip netns exec $R cat /sys/class/net/$VR/statistics/rx_dropped; }
tx_dropped() { ip netns exec $S cat /sys/class/net/$VS/statistics/tx_dropped; }
ofo() { # receiver's out-of-order queueing and reordering seen, summed
	in_ns $R awk '/^TcpExt:/ { if (!h) { split($0, n); h = 1; next }
		for (i = 2; i <= NF; i++) if (n[i] ~ /^(TCPOFOQueue|TCPSACKReorder|TCPRenoReorder|TCPTSReorder)$/) s += $i }
		END { print s + 0 }' /proc/net/netstat
}

# traffic_start FLOWS REGIME SCPU RCPU: start the receivers, then the
# senders; traffic_wait waits for the senders and writes $TMP/traffic.json
# ({bytes, bits, retransmits}) from whichever tool ran.
traffic_start() {
	local flows=$1 regime=$2 scpu=$3 rcpu=$4 i
	local pin_s=() pin_r=()
	[[ -n $scpu ]] && pin_s=(taskset -c $scpu) pin_r=(taskset -c $rcpu)
	rm -f "$TMP"/send*.json
	SPIDS=() CPIDS=()
	if [[ -n $WIRE ]]; then
		bg_ns $R "${pin_r[@]}" "$WIREGEN" sink --port 5001 --flows "$flows" \
			--secs $((SECS + 20)) --json >"$TMP/sink.json" 2>&1
		SPIDS+=($!)
		sleep 0.3
		local rate_args=() cpu_args=()
		[[ $regime == paced ]] && rate_args=(--rate "$RATE")
		[[ -n $scpu ]] && cpu_args=(--cpu "$scpu")
		# fresh source ports each run: the receiver may still hold the
		# last run's connections (LAST_ACK), and a SYN that hits one
		# gets no SYN-ACK
		WIRE_SPORT=$(((WIRE_SPORT + 256) % 50000))
		in_ns $S "$WIREGEN" send --dev $VS --dst 10.99.0.2 --port 5001 --flows "$flows" \
			--sport $((10000 + WIRE_SPORT)) --secs "$SECS" "${rate_args[@]}" "${cpu_args[@]}" \
			--json >"$TMP/send0.json" 2>"$TMP/send0.err" &
		CPIDS+=($!)
		return
	fi
	# iperf3 takes at most 128 streams per client: split larger counts
	local nc=$(((flows + 127) / 128)) per rate_args=()
	per=$((flows / nc))
	# --fq-rate paces in the kernel (SO_MAX_PACING_RATE); iperf3's own -b
	# pacing spins a CPU, which would swamp the CPU column
	[[ $regime == paced ]] && rate_args=(--fq-rate "$(awk -v r="$RATE" -v n="$flows" 'BEGIN { printf "%.0f", r * 1e9 / n }')")
	for ((i = 0; i < nc; i++)); do
		bg_ns $R "${pin_r[@]}" iperf3 -s -1 -p $((5301 + i)) >/dev/null 2>&1
		SPIDS+=($!)
	done
	sleep 0.3
	for ((i = 0; i < nc; i++)); do
		in_ns $S "${pin_s[@]}" iperf3 -c 10.99.0.2 -p $((5301 + i)) -P "$per" \
			-t "$SECS" "${rate_args[@]}" -J >"$TMP/send$i.json" 2>&1 &
		CPIDS+=($!)
	done
}
traffic_wait() {
	wait "${CPIDS[@]}"
	if [[ -s $TMP/send0.err ]] && grep -q . "$TMP/send0.err"; then
		echo "bench-e2e: xgro-wire: $(tail -1 "$TMP/send0.err")" >&2
	fi
	wait "${SPIDS[@]}" 2>/dev/null
	python3 - "$TMP"/send*.json >"$TMP/traffic.json" <<'PY'
import json, sys
bits = nbytes = retr = 0
for f in sys.argv[1:]:
    try:
        d = json.load(open(f))
    except Exception:
        continue
    if "bytes_acked" in d:  # xgro-wire
        nbytes += d["bytes_acked"]
        bits += d["gbit_s"] * 1e9
        retr += d["retransmits"]
    elif "end" in d:  # iperf3
        nbytes += d["end"]["sum_received"]["bytes"]
        bits += d["end"]["sum_received"]["bits_per_second"]
        retr += d["end"]["sum_sent"].get("retransmits", 0)
print(json.dumps({"bytes": nbytes, "bits": bits, "retransmits": retr}))
PY
}

# one_run PATH_NAME HOW REGIME FLOWS BED: prints a JSON line
one_run() {
	local name=$1 how=$2 regime=$3 flows=$4 bedname=$5 mode args pass_pid=
	local scpu=0 rcpu=1
	set -- $how
	mode=$1
	shift
	args="$* $XGRO_ARGS"
	[[ $regime == onecpu ]] && rcpu=0
	[[ $bedname == bare ]] && scpu= rcpu=
	bed "$bedname"
	in_ns $R ethtool -K $VR gro off >/dev/null
	case $mode in
	kernel)
		in_ns $R ethtool -K $VR gro "$1" >/dev/null
		# a veth takes XDP frames only with NAPI: GRO on or a program
		if [[ ${2:-} == pass ]]; then
			bg_ns $R "$WIREGEN" pass --dev $VR >/dev/null 2>&1
			pass_pid=$!
			sleep 0.2
		fi
		;;
	cpumap) cpumap_on "${rcpu:-1}" || return 1 ;;
	xgro)
		[[ -n $rcpu ]] && args+=" --cpus $rcpu"
		start_xgro $R $VR $args >/dev/null || return 1
		;;
	esac
	local b0 d0 o0 x0 b1 d1 o1 x1 t0 t1 st0 st1
	b0=$(busy_us) d0=$(rx_dropped) o0=$(ofo) x0=$(tx_dropped) st0=$(stolen_us)
	t0=$(date +%s%N)
	traffic_start "$flows" "$regime" "$scpu" "$rcpu"
	local perf_pid=
	if [[ -n $PROFILE && $run == 0 && $regime == full && $flows == "$PROFILE" && $bedname != bare ]]; then
		sleep 0.5
		perf record -a -g -q -o "$OUT/perf-${name//[^a-zA-Z0-9]/_}.data" -- sleep $((SECS - 1)) \
			>/dev/null 2>&1 &
		perf_pid=$!
		PERF_RUNS+=("$name=$OUT/perf-${name//[^a-zA-Z0-9]/_}.data")
	fi
	traffic_wait
	[[ -n $perf_pid ]] && wait $perf_pid
	t1=$(date +%s%N)
	b1=$(busy_us) d1=$(rx_dropped) o1=$(ofo) x1=$(tx_dropped) st1=$(stolen_us)
	echo '{}' >"$TMP/st.json"
	if [[ $mode == xgro ]]; then
		in_ns $R "$XGRO" stats $VR --json >"$TMP/st.json"
		stop_xgro
	elif [[ $mode == cpumap ]]; then
		cpumap_off
	fi
	if [[ -n $pass_pid ]]; then
		kill "$pass_pid" 2>/dev/null
		wait "$pass_pid" 2>/dev/null
	fi
	python3 - "$name" "$regime" "$flows" "$bedname" "$((b1 - b0))" "$((d1 - d0))" \
		"$((o1 - o0))" "$(((t1 - t0) / 1000))" "$((x1 - x0))" "$TMP/st.json" "$TMP/traffic.json" \
		"$((st1 - st0))" "$(nproc)" <<'PY'
import json, os, sys
name, regime, flows, bed, busy, dropped, ofo, wall, txdrop, st, tr, stolen, ncpu = sys.argv[1:14]
if os.environ.get("BENCH_MTU", "1500") != "1500":
    bed += " mtu" + os.environ["BENCH_MTU"]
t = json.load(open(tr))
gb = max(t["bytes"], 1) / 1e9
s = json.load(open(st))
eng = s.get("engine", {})
segs = eng.get("segments_merged", 0) / max(eng.get("superpackets_out", 0), 1)
# veth counts a frame it could not deliver on both ends (the sender's
# tx_dropped and the receiver's rx_dropped), and the socket's drops in the
# receiver's rx_dropped too: the largest reading is the count
sock = s.get("lost", 0)
print(json.dumps({"path": name, "regime": regime, "flows": int(flows), "bed": bed,
    "gbps": round(t["bits"] / 1e9, 2), "cpu_s_per_gb": round(max(int(busy) - int(stolen), 0) / 1e6 / gb, 3),
    "stolen_pct": round(100 * int(stolen) / max(int(wall) * int(ncpu), 1), 1),
    "retransmits": t["retransmits"], "frames_lost": max(int(dropped), sock + int(txdrop)),
    "lost_socket": sock, "lost_if": int(dropped), "lost_sender": int(txdrop), "ofo": int(ofo),
    "segs_per_super": round(segs, 1) if segs else None, "wall_s": int(wall) / 1e6,
    "passed_ring_full": s.get("xdp", {}).get("pass_ring_full")}))
PY
}

latency() { # PATH_NAME HOW: p50/p99 of 2000 request/response rounds
	local name=$1 how=$2 mode out
	set -- $how
	mode=$1
	shift
	bed model
	in_ns $R ethtool -K $VR gro off >/dev/null
	case $mode in
	kernel) in_ns $R ethtool -K $VR gro "$1" >/dev/null ;;
	cpumap) cpumap_on 1 || return 1 ;;
	xgro) start_xgro $R $VR "$@" $XGRO_ARGS --cpus 1 >/dev/null || return 1 ;;
	esac
	bg_ns $R taskset -c 1 timeout 60 "$XFER" rr-server 5400
	local sp=$!
	sleep 0.2
	out=$(in_ns $S taskset -c 0 timeout 60 "$XFER" rr 10.99.0.2 5400 2000 1000)
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	[[ $mode == xgro ]] && stop_xgro
	[[ $mode == cpumap ]] && cpumap_off
	python3 -c 'import json, sys
w = sys.argv[2].split()
d = dict(zip(w[0::2], w[1::2]))
print(json.dumps({"path": sys.argv[1], "regime": "rr", "p50_us": float(d.get("p50_us", 0)), "p99_us": float(d.get("p99_us", 0))}))' "$name" "$out"
}

: >"$OUT/e2e.jsonl.tmp"
PERF_RUNS=()
if [[ -n $PROFILE ]] && ! command -v perf >/dev/null; then
	echo "bench-e2e: --profile needs perf (linux-perf; make bench installs it)" >&2
	exit 1
fi
BEDS=(model)
[[ -n $BARE ]] && BEDS+=(bare)
[[ -n $WIRE ]] && BEDS=(wire)
for ((run = 0; run < RUNS; run++)); do
	for regime in ${REGIMES//,/ }; do
		for flows in ${FLOWS//,/ }; do
			for bedname in "${BEDS[@]}"; do
				# the bare bed is shown at full speed only: it is
				# there to show what the model changes
				[[ $bedname == bare && $regime != full ]] && continue
				for p in "${PATHS[@]}"; do
					one_run "${p%%|*}" "${p#*|}" "$regime" "$flows" "$bedname" \
						>>"$OUT/e2e.jsonl.tmp" || exit 1
				done
			done
		done
	done
done
[[ -n $WIRE ]] && RR= # request/response runs over the sender stack: the model bed's
if [[ -n $RR ]]; then
	for p in "${PATHS[@]}"; do
		latency "${p%%|*}" "${p#*|}" >>"$OUT/e2e.jsonl.tmp" || exit 1
	done
fi
mv "$OUT/e2e.jsonl.tmp" "$OUT/e2e.jsonl"
python3 "$ROOT/scripts/bench-table.py" "$OUT/e2e.jsonl" "$SECS" "$RUNS" "$RATE"
if [[ ${#PERF_RUNS[@]} -gt 0 ]]; then
	echo
	echo "### Where the CPU goes at $PROFILE flows, full speed (perf record -a -g, share of busy samples)"
	echo
	python3 "$ROOT/scripts/perf-stages.py" "${PERF_RUNS[@]}" | tee "$OUT/stages.md"
fi

if [[ -n $PLOT ]]; then
	if command -v gnuplot >/dev/null; then
		python3 "$ROOT/scripts/bench-table.py" --dat "$OUT/e2e.jsonl" >"$OUT/e2e.dat"
		ncol=$(head -1 "$OUT/e2e.dat" | awk -F'"' '{print (NF - 1) / 2}')
		plot="\"$OUT/e2e.dat\" using 2:xtic(1) title columnheader(2)"
		for ((c = 3; c <= ncol + 1; c++)); do
			plot+=", \"\" using $c title columnheader($c)"
		done
		gnuplot <<EOF
set terminal png size 1200,500
set output "$OUT/e2e.png"
set style data histograms
set style fill solid 0.8
set boxwidth 0.8
set ylabel "Gbit/s, full speed"
set yrange [0:*]
set key top left
set xlabel "flows"
plot $plot
EOF
		echo "chart: $OUT/e2e.png"
	else
		echo "bench-e2e: gnuplot missing (make bench installs it): no chart" >&2
	fi
fi
