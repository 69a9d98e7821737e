#!/usr/bin/env python3
"""Where the CPU goes on a receive path, by stage, from `perf record -a -g`.

  perf-stages.py [--json] LABEL=PERF.DATA [LABEL=PERF.DATA ...]

Each sample is put in the stage of the first frame, from the leaf up its
call chain, that names one: a memcpy under __xsk_rcv is the AF_XDP copy,
the same memcpy under tun_get_user the tap write. Idle samples are left
out, so shares are of busy time. "NIC removes" marks the stages a
zero-copy AF_XDP NIC does not have: the copy veth makes of the sender's
cloned skb before XDP, and copy-mode AF_XDP's copy into the umem.
"""
import json
import subprocess
import sys

# stage, NIC removes it, symbols (exact, or prefix with a trailing *)
STAGES = [
    ("veth: the sender's skb copied into an XDP frame", True, ["skb_pp_cow_data", "skb_cow_data_for_xdp",
                                                               "veth_xdp_rcv_skb",
                                                               "veth_convert_skb_to_xdp_buff"]),
    ("AF_XDP: copy into the umem", True, ["__xsk_rcv", "xsk_rcv", "xsk_copy_xdp*", "__xsk_rcv_zc",
                                         "__xsk_map_redirect", "xp_alloc*", "xsk_map_flush", "__xsk_map_flush"]),
    ("wake-ups and IPIs", False, ["sock_def_readable", "try_to_wake_up", "__wake_up*", "ttwu_*",
                                  "native_send_call_func*", "__smp_call_single_queue",
                                  "send_call_function_single_ipi", "kick_process"]),
    ("tap write (copy into a new skb)", False, ["tun_get_user", "tun_chr_write_iter", "tun_build_skb",
                                                "tun_alloc_skb", "virtio_net_hdr_to_skb"]),
    ("XDP programs", False, ["bpf_prog_*", "htab_*", "lookup_nulls_elem_raw", "bpf_xdp_*",
                             "bpf_map_*", "__htab_*", "bpf_lru_*", "cpu_map_*", "cpu_map_kthread_run"]),
    ("receiver: ACKs sent", False, ["tcp_send_ack", "__tcp_send_ack", "tcp_delack_timer*",
                                     "__tcp_ack_snd_check"]),
    ("sender: segmentation and qdisc (a remote machine's)", False, ["skb_segment", "__skb_gso_segment",
                                                                     "skb_mac_gso_segment", "inet_gso_segment",
                                                                     "tcp_gso_segment", "validate_xmit_skb*",
                                                                     "sch_direct_xmit", "__qdisc_run",
                                                                     "pfifo_*", "__dev_xmit_skb"]),
    ("sender TCP (a remote machine's)", False, ["tcp_sendmsg*", "tcp_write_xmit", "tcp_ack",
                                                 "tcp_clean_rtx_queue*", "tcp_tsq_*", "tcp_tasklet_func",
                                                 "tcp_wfree", "tcp_rearm_rto", "tcp_xmit_retransmit_queue"]),
    ("receiver application (copy to user)", False, ["tcp_recvmsg*", "skb_copy_datagram_iter",
                                                    "__skb_datagram_iter", "tcp_cleanup_rbuf"]),
    ("receive stack (IP, TCP, GRO)", False, ["ip_rcv*", "ip_local_deliver*", "ip_sublist_rcv*",
                                             "ip_list_rcv", "tcp_v4_rcv", "tcp_v6_rcv", "ipv6_rcv",
                                             "ip6_*", "tcp_rcv_established", "tcp_data_queue*",
                                             "tcp_queue_rcv", "dev_gro_receive", "napi_gro_*",
                                             "gro_*", "inet_gro_receive", "tcp4_gro_*", "tcp_gro_*",
                                             "__netif_receive_skb*", "netif_receive_skb*",
                                             "process_backlog", "skb_gro_*"]),
    ("veth, NAPI (driver work a NIC has too)", False, ["veth_*", "__veth_*", "__napi_poll", "net_rx_action",
                                                        "__xdp_build_skb_from_frame", "xdp_do_*",
                                                        "dev_hard_start_xmit", "__dev_queue_xmit",
                                                        "__dev_forward_skb*", "enqueue_to_backlog",
                                                        "__netif_rx", "netif_rx*", "get_rps_cpu"]),
    ("scheduler, timers, syscalls", False, ["schedule*", "__schedule", "finish_task_switch*", "pick_next*",
                                            "hrtimer_*", "native_write_msr", "irqentry_*", "do_sys_poll",
                                            "ppoll", "__x64_sys_*", "entry_SYSCALL*", "do_syscall_64",
                                            "syscall_exit*", "exit_to_user_mode*", "enqueue_task*",
                                            "dequeue_task*", "update_curr*", "tick_*"]),
]
WORKER_STAGE = "xgro worker (engine, loop)"
WORKER = ["xgro_*", "sum_avx2", "flush_flow", "add_seg", "emit", "service", "refill",
          "publish*", "start_flow", "csum_*", "fed_remotely", "flow_verdict"]

# the bed's own processes and kernel threads; anything else on the machine
# (a compiler, a shell) is not the path's cost
BED = ("iperf3", "xgro", "ksoftirqd/*", "napi/*", "cpumap/*", "xgro-xfer", "xgro-wire", "kworker/*")
IDLE = ("cpuidle_enter*", "default_idle*", "pv_native_safe_halt", "poll_idle", "do_idle",
        "acpi_idle*", "haltpoll_*", "cpu_startup_entry", "native_safe_halt", "arch_cpu_idle*")


def match(sym, pats):
    for p in pats:
        if p.endswith("*"):
            if sym.startswith(p[:-1]):
                return True
        elif sym == p:
            return True
    return False


def samples(path):
    out = subprocess.run(["perf", "script", "-i", path, "-F", "comm,ip,sym", "--no-inline"],
                         capture_output=True, text=True, errors="replace").stdout
    chain, comm = [], None
    for line in out.splitlines():
        if not line.strip():
            if comm is not None:
                yield comm, chain
            chain, comm = [], None
        elif line[0] not in " \t":
            comm = line.split()[0] if line.split() else ""
        else:
            parts = line.split()
            if len(parts) >= 2:
                # tcp_ack.isra.0 is tcp_ack
                chain.append(parts[1].split("+")[0].split(".")[0])
    if comm is not None:
        yield comm, chain


def classify(path):
    counts, busy = {}, 0
    for comm, chain in samples(path):
        if comm == "swapper" or any(match(s, IDLE) for s in chain[:6]):
            continue
        if not match(comm, BED):
            continue
        busy += 1
        stage = "other"
        # the worker's own code: its symbols are too generic (emit,
        # service, csum_*) to match in other processes
        if comm == "xgro" and chain and not chain[0].startswith(("__", "_raw")) and \
                any(match(s, WORKER) for s in chain):
            counts[WORKER_STAGE] = counts.get(WORKER_STAGE, 0) + 1
            continue
        for s in chain:
            hit = next((st for st in STAGES if match(s, st[2])), None)
            if hit:
                stage = hit[0]
                break
        else:
            if comm == "xgro":
                stage = WORKER_STAGE
        counts[stage] = counts.get(stage, 0) + 1
        if stage == "other" and DEBUG:
            OTHER[chain[0] if chain else "?"] = OTHER.get(chain[0] if chain else "?", 0) + 1
    return counts, busy


DEBUG = False
OTHER = {}


def main():
    args = sys.argv[1:]
    as_json = "--json" in args
    global DEBUG
    DEBUG = "--other" in args
    args = [a for a in args if a not in ("--json", "--other")]
    runs = [a.split("=", 1) for a in args]
    res = {label: classify(path) for label, path in runs}
    removes = {st[0]: st[1] for st in STAGES}
    order = [st[0] for st in STAGES[:3]] + [WORKER_STAGE] + [st[0] for st in STAGES[3:]] + ["other"]
    if as_json:
        for label, (c, b) in res.items():
            print(json.dumps({"path": label, "busy_samples": b,
                              "stages": {k: round(v / max(b, 1), 4) for k, v in c.items()}}))
        return
    print("| stage | NIC removes | " + " | ".join("%s, share of busy" % l for l, _ in runs) + " |")
    print("|---|---|" + "---:|" * len(runs))
    for st in order:
        if not any(res[l][0].get(st) for l, _ in runs):
            continue
        cells = ["%.1f%%" % (100.0 * res[l][0].get(st, 0) / max(res[l][1], 1)) for l, _ in runs]
        print("| %s | %s | %s |" % (st, "yes" if removes.get(st) else "", " | ".join(cells)))
    for l, _ in runs:
        c, b = res[l]
        gone = sum(v for k, v in c.items() if removes.get(k))
        print("\n%s: %d busy samples; a zero-copy NIC removes %.1f%% of them" % (l, b, 100.0 * gone / max(b, 1)))
    if DEBUG:
        for k, v in sorted(OTHER.items(), key=lambda x: -x[1])[:25]:
            print("other: %6d %s" % (v, k))


if __name__ == "__main__":
    main()
