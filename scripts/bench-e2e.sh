#!/bin/bash
# End-to-end benchmark: bulk TCP from a sender namespace to a receiver
# namespace over veth (sender TSO, GSO and TX checksum offload off: MTU
# frames with full checksums, as on a real wire), through each receive
# path in turn. Runs are interleaved (A B C ... A B C ...) and medians kept.
#
#   scripts/bench-e2e.sh [--runs N] [--secs S] [--plot] [--demo] [--only REGEX]
#
# --only: the paths whose names match REGEX (grep -E), e.g. 'GRO off|busy'.
# --demo: only "kernel, GRO off" and "xgro", one run each (make demo).
# Output: a markdown table, JSON lines in build/bench/e2e.jsonl, and with
# --plot a PNG chart in build/bench/e2e.png (gnuplot).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 SECS=4 PLOT= DEMO= ONLY_RE=
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--secs) SECS=$2; shift 2 ;;
	--plot) PLOT=1; shift ;;
	--only) ONLY_RE=$2; shift 2 ;;
	--demo) DEMO=1; RUNS=${RUNS_DEMO:-1}; SECS=5; shift ;;
	-h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) echo "bench-e2e: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ $EUID -eq 0 ]] || { echo "bench-e2e: needs root (namespaces, XDP)" >&2; exit 1; }
TAG=b$$
source "$ROOT/tests/e2e/lib.sh"
XFER=$ROOT/build/tests/xgro-xfer
OUT=$ROOT/build/bench
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/xgro-bench.XXXXXX)
trap cleanup EXIT
S=s$TAG R=r$TAG

# name|how: kernel paths toggle the receiver's GRO; xgro paths attach
if [[ -n $DEMO ]]; then
	CONFIGS=("kernel, GRO off|kernel off" "xgro (verify, flush-us 50)|xgro --csum verify --flush-us 50")
else
	CONFIGS=(
		"kernel, GRO off|kernel off"
		"kernel, GRO on|kernel on"
		"XDP into cpumap, kernel GRO|cpumap"
		"xgro passthrough (max-segs 1)|xgro --max-segs 1 --flush-us 0"
		"xgro verify, flush-us 50|xgro --csum verify --flush-us 50"
		"xgro verify, flush-us 0|xgro --csum verify --flush-us 0"
		"xgro fold, flush-us 50|xgro --csum fold --flush-us 50"
		"xgro trust, flush-us 50|xgro --csum trust --flush-us 50"
		"xgro verify, busy-poll|xgro --csum verify --flush-us 50 --busy-poll"
	)
fi

trap 'cpumap_off; cleanup' EXIT
mk_pair $S $R || exit 1
in_ns $R ethtool -K vr$TAG gro off >/dev/null

# The kernel's XDP-into-cpumap GRO (6.15+): our program in bench/, entry 1
# of its cpumap (CPU 1) with a 2048-frame queue.
CPUMAP_OBJ=$ROOT/build/bench/cpumap.bpf.o
CPUMAP_PIN=/sys/fs/bpf/xgro-bench-$TAG
cpumap_supported() {
	local v
	v=$(uname -r | awk -F. '{print $1 * 100 + $2}')
	[[ $v -ge 615 && -e $CPUMAP_OBJ && $(nproc) -ge 2 ]]
}
cpumap_on() {
	mkdir -p "$CPUMAP_PIN" &&
	bpftool prog load "$CPUMAP_OBJ" "$CPUMAP_PIN/prog" type xdp pinmaps "$CPUMAP_PIN" &&
	bpftool map update pinned "$CPUMAP_PIN/cpumap" key 1 0 0 0 value 0 8 0 0 0 0 0 0 &&
	in_ns $R ip link set dev vr$TAG xdpdrv pinned "$CPUMAP_PIN/prog"
}
cpumap_off() {
	in_ns $R ip link set dev vr$TAG xdpdrv off 2>/dev/null
	rm -rf "$CPUMAP_PIN"
}

cpu_total() { # busy jiffies over all CPUs, and the softirq share
	awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $8}' /proc/stat
}
proc_cpu() { # utime+stime of a pid, in jiffies
	awk '{print $14+$15}' /proc/"$1"/stat 2>/dev/null || echo 0
}

# one_run NAME HOW: prints a JSON line
one_run() {
	local name=$1 how=$2 mode args gbps bytes seg=0 xcpu=0
	set -- $how
	mode=$1
	shift
	args="$*"
	if [[ $mode == kernel ]]; then
		in_ns $R ethtool -K vr$TAG gro "$1" >/dev/null
	elif [[ $mode == cpumap ]]; then
		in_ns $R ethtool -K vr$TAG gro off >/dev/null
		cpumap_on || return 1
	else
		in_ns $R ethtool -K vr$TAG gro off >/dev/null
		start_xgro $R vr$TAG $args >/dev/null || return 1
	fi
	bg_ns $R iperf3 -s -1 -p 5301 >/dev/null 2>&1
	sleep 0.3
	local c0 c1 x0 x1 hz
	hz=$(getconf CLK_TCK)
	read -r c0 si0 < <(cpu_total)
	[[ $mode == xgro ]] && x0=$(proc_cpu "$XPID")
	in_ns $S iperf3 -c 10.99.0.2 -p 5301 -t "$SECS" -J >"$TMP/iperf.json" 2>&1 &
	local cpid=$! sender_cpu=0
	sleep 0.5
	local ipid
	ipid=$(pgrep -n -f "iperf3 -c 10.99.0.2 -p 5301") || true
	wait $cpid
	read -r c1 si1 < <(cpu_total)
	[[ $mode == xgro ]] && x1=$(proc_cpu "$XPID") && xcpu=$((x1 - x0))
	gbps=$(json_get "$TMP/iperf.json" end.sum_received.bits_per_second 2>/dev/null || echo 0)
	bytes=$(json_get "$TMP/iperf.json" end.sum_received.bytes 2>/dev/null || echo 0)
	sender_cpu=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); u=d["end"]["cpu_utilization_percent"]; print(u["host_total"])' "$TMP/iperf.json" 2>/dev/null || echo 0)
	if [[ $mode == xgro ]]; then
		in_ns $R "$XGRO" stats vr$TAG --json >"$TMP/st.json"
		seg=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["engine"]; print(round(e["segments_merged"]/max(e["superpackets_out"],1),1) if e["segments_merged"] else 1.0)' "$TMP/st.json")
		stop_xgro
	elif [[ $mode == cpumap ]]; then
		cpumap_off
	fi
	python3 - "$name" "$gbps" "$bytes" "$((c1 - c0))" "$((si1 - si0))" "$xcpu" "$hz" "$seg" "$sender_cpu" "$SECS" <<'PY'
import json, sys
name, bps, nbytes, busy, si, xcpu, hz, seg, scpu, secs = sys.argv[1:]
gb = max(float(nbytes), 1) / 1e9
hz = float(hz)
print(json.dumps({"config": name, "gbps": round(float(bps) / 1e9, 2),
    "cpu_s_per_gb": round(float(busy) / hz / gb, 3),
    "softirq_s_per_gb": round(float(si) / hz / gb, 3),
    "xgro_s_per_gb": round(float(xcpu) / hz / gb, 3),
    "sender_s_per_gb": round(float(scpu) / 100 * float(secs) / gb, 3),
    "segs_per_super": float(seg)}))
PY
}

latency() { # p50/p99 of 2000 request/response rounds, with and without xgro
	local with=$1 out
	[[ -n $with ]] && { start_xgro $R vr$TAG --flush-us 50 >/dev/null || return 1; }
	bg_ns $R timeout 60 "$XFER" rr-server 5400
	sleep 0.2
	out=$(in_ns $S timeout 60 "$XFER" rr 10.99.0.2 5400 2000 1000)
	[[ -n $with ]] && stop_xgro
	echo "$out"
}

if [[ -z $DEMO ]] && ! cpumap_supported; then
	echo "bench-e2e: no XDP-into-cpumap GRO here (kernel < 6.15, 1 CPU, or not built): row skipped" >&2
	for i in "${!CONFIGS[@]}"; do
		[[ ${CONFIGS[$i]} == *"|cpumap" ]] && unset 'CONFIGS[i]'
	done
fi
if [[ -n $ONLY_RE ]]; then
	for i in "${!CONFIGS[@]}"; do
		echo "${CONFIGS[$i]%%|*}" | grep -Eq -- "$ONLY_RE" || unset 'CONFIGS[i]'
	done
	[[ ${#CONFIGS[@]} -gt 0 ]] || { echo "bench-e2e: --only '$ONLY_RE' matches no path" >&2; exit 2; }
fi
: >"$OUT/e2e.jsonl.tmp"
for ((run = 0; run < RUNS; run++)); do
	for c in "${CONFIGS[@]}"; do
		one_run "${c%%|*}" "${c#*|}" >>"$OUT/e2e.jsonl.tmp" || exit 1
	done
done
lat_off=$(latency "")
lat_on=$(latency 1)
mv "$OUT/e2e.jsonl.tmp" "$OUT/e2e.jsonl"

python3 - "$OUT/e2e.jsonl" "$lat_off" "$lat_on" "$SECS" "$RUNS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
order, by = [], {}
for r in rows:
    if r["config"] not in by:
        order.append(r["config"]); by[r["config"]] = []
    by[r["config"]].append(r)
med = {c: {k: statistics.median(r[k] for r in by[c]) for k in by[c][0] if k != "config"} for c in order}
print("\n%d run(s) of %s s each, medians; CPU = all cores busy time per GB received\n" % (int(sys.argv[5]), sys.argv[4]))
print("| path | Gbit/s | CPU s/GB | sender s/GB | softirq s/GB | xgro s/GB | segs/super-packet |")
print("|---|---:|---:|---:|---:|---:|---:|")
for c in order:
    m = med[c]
    seg = "%.1f" % m["segs_per_super"] if m["segs_per_super"] else "-"
    xs = "%.2f" % m["xgro_s_per_gb"] if c.startswith("xgro") else "-"
    print("| %s | %.2f | %.2f | %.2f | %.2f | %s | %s |" % (c, m["gbps"], m["cpu_s_per_gb"],
          m["sender_s_per_gb"], m["softirq_s_per_gb"], xs, seg))
def g(name):
    for c in order:
        if c.startswith(name): return med[c]["gbps"]
xg = [c for c in order if c.startswith("xgro verify, flush-us 50") or c.startswith("xgro (verify")]
if xg:
    x = med[xg[0]]["gbps"]
    if g("xgro passthrough"): print("\nxgro / passthrough: %.2fx" % (x / g("xgro passthrough")))
    if g("kernel, GRO off"): print("xgro / kernel GRO off: %.2fx" % (x / g("kernel, GRO off")))
    if g("kernel, GRO on"): print("xgro / kernel GRO on: %.2fx" % (x / g("kernel, GRO on")))
print("\nrequest/response, 1000-byte requests, 2000 rounds:")
print("  without xgro: " + sys.argv[2])
print("  with xgro (flush-us 50): " + sys.argv[3])
PY

if [[ -n $PLOT ]]; then
	if command -v gnuplot >/dev/null; then
		python3 - "$OUT/e2e.jsonl" >"$OUT/e2e.dat" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
seen = []
for r in rows:
    if r["config"] not in seen: seen.append(r["config"])
for c in seen:
    v = [r for r in rows if r["config"] == c]
    print('"%s" %.2f %.2f' % (c, statistics.median(x["gbps"] for x in v), statistics.median(x["cpu_s_per_gb"] for x in v)))
PY
		gnuplot <<EOF
set terminal png size 1100,500
set output "$OUT/e2e.png"
set style data histograms
set style fill solid 0.8
set boxwidth 0.8
set xtics rotate by -25
set ylabel "Gbit/s"
set y2label "CPU s per GB"
set y2tics
set yrange [0:*]
set y2range [0:*]
set key top left
plot "$OUT/e2e.dat" using 2:xtic(1) title "Gbit/s", "" using 3 axes x1y2 title "CPU s/GB"
EOF
		echo "chart: $OUT/e2e.png"
	else
		echo "bench-e2e: gnuplot missing (make bench installs it): no chart" >&2
	fi
fi
