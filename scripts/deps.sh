#!/bin/bash
# Installs the Debian packages xgro needs, only those missing.
#   scripts/deps.sh          what building xgro and `make demo` need
#   scripts/deps.sh --test   plus what the tests need (a qemu guest, systemd's
#                            verifier, nftables, Prometheus' parser, clang-format)
#   scripts/deps.sh --bench  plus the benchmark-only tools (DPDK, gnuplot, valgrind, perf)
set -euo pipefail

pkgs=(make clang llvm libclang-rt-14-dev pkg-config libbpf-dev libxdp-dev
      bpftool xdp-tools libelf-dev zlib1g-dev linux-libc-dev iproute2
      ethtool iperf3 util-linux procps python3 coreutils)
if [[ "${1:-}" == "--test" ]]; then
	pkgs+=(qemu-system-x86 busybox-static cpio xz-utils debian-archive-keyring
	       python3-prometheus-client nftables systemd man-db clang-format)
elif [[ "${1:-}" == "--bench" ]]; then
	pkgs+=(libdpdk-dev gnuplot-nox valgrind linux-perf)
elif [[ $# -gt 0 ]]; then
	echo "usage: $0 [--test|--bench]" >&2
	exit 2
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
	exit 0
fi
if [[ $EUID -ne 0 ]]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# clang finds the BPF target's asm/ headers under the multiarch include dir
test -d "/usr/include/$(clang -print-multiarch)/asm" ||
	{ echo "deps: /usr/include/$(clang -print-multiarch)/asm missing" >&2; exit 1; }
