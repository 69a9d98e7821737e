// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The kernel's own XDP receive aggregation, for comparison: redirect every
 * frame into a cpumap, whose kthread builds skbs and runs GRO on them
 * (kernel 6.15+). scripts/bench-e2e.sh fills entry 1 (the CPU) and attaches
 * this to the receiver.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpumap SEC(".maps");

SEC("xdp")
int to_cpumap(struct xdp_md *ctx)
{
	(void)ctx;
	return bpf_redirect_map(&cpumap, 1, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
