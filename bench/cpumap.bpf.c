// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The kernel's own XDP receive aggregation, for comparison: redirect every
 * frame into a cpumap, whose kthread builds skbs and runs GRO on them
 * (kernel 6.15+). scripts/bench-e2e.sh names the receiver's CPU in `target`,
 * fills that CPU's cpumap entry and attaches this to the receiver.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpumap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

SEC("xdp")
int to_cpumap(struct xdp_md *ctx)
{
	__u32 zero = 0, *cpu = bpf_map_lookup_elem(&target, &zero);

	(void)ctx;
	return bpf_redirect_map(&cpumap, cpu ? *cpu : 0, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
