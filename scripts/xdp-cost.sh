#!/bin/bash
# What the XDP program costs per frame, on this CPU: the attached program
# run on one frame over and over (BPF_PROG_TEST_RUN through `bpftool prog
# run`, its own maps, a worker behind them), for a data frame of a steered
# TCP flow and for a pure ACK of a flow not steered, which it passes. The ring guard is off for the
# run (XGRO_FAULT=ring-unguarded): test runs redirect nothing, so the
# guard's count would otherwise fill up and send every frame the pass way.
#
#   scripts/xdp-cost.sh [--runs N] [--repeat N] [XGRO ...]
#
# With several xgro binaries (builds of two commits, say), runs alternate
# between them, and the medians are printed side by side.
source "$(dirname "$0")/netns.sh"

RUNS=5 REPEAT=2000000 BINS=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--runs) RUNS=$2; shift 2 ;;
	--repeat) REPEAT=$2; shift 2 ;;
	-h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) BINS+=("$1"); shift ;;
	esac
done
[[ ${#BINS[@]} -gt 0 ]] || BINS=("$XGRO")
need_root || exit 1
for c in bpftool python3; do need_cmd $c || exit 1; done
TMP=$(mktemp -d /tmp/xgro-xdpcost.XXXXXX)
trap cleanup EXIT

# frames: 1,448 bytes of payload of the flow 10.99.0.1:40000 ->
# 10.99.0.2:5201, and a pure ACK from port 40001, a flow never admitted
# (the receiver's MAC does not matter to the program)
python3 - "$TMP" <<'PY'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def frame(pay, flags, sport):
    tcp = struct.pack("!HHIIBBHHH", sport, 5201, 1000, 2000, 5 << 4, flags, 65535, 0, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + len(pay), 1, 0x4000, 64, 6, 0,
                     bytes([10, 99, 0, 1]), bytes([10, 99, 0, 2]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return bytes.fromhex("020000000002020000000001") + b"\x08\x00" + ip + tcp + pay
open(sys.argv[1] + "/data.bin", "wb").write(frame(b"\x5a" * 1448, 0x18, 40000))
open(sys.argv[1] + "/ack.bin", "wb").write(frame(b"", 0x10, 40001))
PY

mk_pair s$TAG r$TAG || exit 1
one() { # BIN KIND: ns per frame, one run
	local bin=$1 kind=$2 id ns
	XGRO=$bin XGRO_FAULT=ring-unguarded start_xgro r$TAG vr$TAG >/dev/null || return 1
	id=$(in_ns r$TAG ip -d link show vr$TAG | awk '/prog\/xdp/ { print $3; exit }')
	# the first data frame admits the flow: then it is a steered one
	bpftool prog run id "$id" data_in "$TMP/data.bin" repeat 1 >/dev/null 2>&1
	ns=$(bpftool prog run id "$id" data_in "$TMP/$kind.bin" repeat "$REPEAT" 2>&1 |
		sed -n 's/.*duration (average): \([0-9]*\)ns.*/\1/p')
	in_ns r$TAG "$bin" detach vr$TAG >/dev/null
	wait "$XPID" 2>/dev/null
	echo "${ns:-?}"
}
declare -A got
for ((r = 0; r < RUNS; r++)); do
	for b in "${BINS[@]}"; do
		for k in data ack; do
			got[$b,$k]+="$(one "$b" $k) "
		done
	done
done
median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "?" }'; }
printf "%-50s %14s %14s\n" "xgro binary" "steered data" "passed ACK"
for b in "${BINS[@]}"; do
	printf "%-50s %11s ns %11s ns\n" "$b" "$(echo "${got[$b,data]}" | median)" \
		"$(echo "${got[$b,ack]}" | median)"
done
echo "(ns per frame, median of $RUNS runs of $REPEAT test runs each)"
