#!/usr/bin/env python3
"""Turns a JMH JSON result (java -jar bench/target/benchmarks.jar ... -rf json -rff r.json) into
the Markdown tables of bench/RESULTS.md: memory-bound benchmarks as GB/s (bytes read + written) and
as a fraction of the host (or device) copy roof measured in the same run; time-per-call benchmarks
as ns/op."""
import json
import sys


def params(b):
    p = b.get("params") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items()))


def main(path):
    runs = json.load(open(path))
    rates, times = [], []
    roof = {}
    for b in runs:
        name = b["benchmark"].replace("dev.lowbit.bench.", "")
        sec = b.get("secondaryMetrics", {}).get("bytes")
        if sec:
            gbs = sec["score"] / 1e9
            err = sec["scoreError"] / 1e9 if sec["scoreError"] == sec["scoreError"] else 0.0
            rates.append((name, params(b), gbs, err))
            if name in ("Roof.hostCopy", "Roof.deviceCopy"):
                roof[name] = max(roof.get(name, 0), gbs)
        elif b["primaryMetric"]["scoreUnit"].startswith("ns/"):
            m = b["primaryMetric"]
            times.append((name, params(b), m["score"], m["scoreError"]))
    if times:
        print("| benchmark | params | ns/op | ± (99.9%) |\n|---|---|---:|---:|")
        for n, p, s, e in times:
            print(f"| {n} | {p} | {s:.2f} | {e:.2f} |")
        print()
    if rates:
        host = roof.get("Roof.hostCopy")
        print("| benchmark | params | GB/s (read+write) | ± (99.9%) | fraction of host copy roof |\n|---|---|---:|---:|---:|")
        for n, p, s, e in rates:
            frac = f"{s / host:.2f}" if host and not n.startswith("Roof.deviceCopy") else "-"
            print(f"| {n} | {p} | {s:.1f} | {e:.1f} | {frac} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "jmh.json")
