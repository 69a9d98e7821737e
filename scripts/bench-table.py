#!/usr/bin/env python3
"""Tables from the JSON lines of scripts/bench-e2e.sh (and --wire).

  bench-table.py E2E.JSONL SECS RUNS RATE   markdown tables, medians
  bench-table.py --dat E2E.JSONL            gnuplot data: full speed Gbit/s
"""
import json
import statistics
import sys

BASE = "kernel, GRO off"
COLS = ("gbps", "cpu_s_per_gb", "retransmits", "frames_lost", "ofo", "segs_per_super", "stolen_pct")


def load(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    groups, order = {}, []
    for r in rows:
        k = (r["regime"], r.get("flows", 0), r.get("bed", ""), r["path"])
        if k not in groups:
            order.append(k)
            groups[k] = []
        groups[k].append(r)
    med = {}
    for k, rs in groups.items():
        m = {}
        for c in rs[0]:
            vals = [r[c] for r in rs if isinstance(r.get(c), (int, float))]
            if vals:
                m[c] = statistics.median(vals)
        m["n"] = len(rs)
        med[k] = m
    return order, med


def fmt(v, nd=2):
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return "%.*f" % (nd, v)
    return "%d" % v


def tables(path, secs, runs, rate):
    order, med = load(path)
    regimes = []
    for k in order:
        if k[0] not in regimes:
            regimes.append(k[0])
    title = {
        "full": "Full speed",
        "paced": "Paced at %s Gbit/s in total" % rate,
        "onecpu": "Everything on one CPU (Gbit/s = cost per byte)",
    }
    for rg in regimes:
        if rg == "rr":
            continue
        print("\n### %s (%s run(s) of %s s, medians)\n" % (title.get(rg, rg), runs, secs))
        print("| flows | bed | path | Gbit/s | CPU s/GB | retransmits | frames lost | reordered | segs/super | stolen | Gbit/s vs GRO off | CPU vs GRO off |")
        print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for k in order:
            if k[0] != rg:
                continue
            m = med[k]
            base = med.get((rg, k[1], k[2], BASE))
            rg_ratio = cpu_ratio = "-"
            if base and base.get("gbps"):
                rg_ratio = "%.2fx" % (m["gbps"] / base["gbps"])
            if base and base.get("cpu_s_per_gb"):
                cpu_ratio = "%.2fx" % (m["cpu_s_per_gb"] / base["cpu_s_per_gb"])
            stolen = m.get("stolen_pct")
            print("| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                k[1], k[2], k[3], fmt(m.get("gbps")), fmt(m.get("cpu_s_per_gb")),
                fmt(m.get("retransmits"), 0), fmt(m.get("frames_lost"), 0),
                fmt(m.get("ofo"), 0), fmt(m.get("segs_per_super"), 1),
                "-" if stolen is None else "%.1f%%" % stolen, rg_ratio, cpu_ratio))
    rr = [k for k in order if k[0] == "rr"]
    if rr:
        print("\n### Request/response, 1000-byte requests, 2000 rounds, idle otherwise\n")
        print("| path | p50 us | p99 us | p50 vs GRO off | p99 vs GRO off |")
        print("|---|---:|---:|---:|---:|")
        base = next((med[k] for k in rr if k[3] == BASE), None)
        for k in rr:
            m = med[k]
            d50 = d99 = "-"
            if base:
                d50 = "%+.1f us" % (m["p50_us"] - base["p50_us"])
                d99 = "%+.1f us" % (m["p99_us"] - base["p99_us"])
            print("| %s | %.1f | %.1f | %s | %s |" % (k[3], m["p50_us"], m["p99_us"], d50, d99))


def dat(path):
    order, med = load(path)
    paths = []
    for k in order:
        if k[0] == "full" and k[3] not in paths:
            paths.append(k[3])
    print("flows " + " ".join('"%s"' % p for p in paths))
    flows = sorted({k[1] for k in order if k[0] == "full"})
    for f in flows:
        vals = []
        for p in paths:
            m = next((med[k] for k in order if k[0] == "full" and k[1] == f and k[3] == p), None)
            vals.append("%.2f" % m["gbps"] if m else "0")
        print("%d %s" % (f, " ".join(vals)))


if __name__ == "__main__":
    if sys.argv[1] == "--dat":
        dat(sys.argv[2])
    else:
        tables(*sys.argv[1:5])
