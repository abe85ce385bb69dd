#!/usr/bin/env python3
"""Turns a JMH JSON result (java -jar bench/target/benchmarks.jar ... -rf json -rff r.json) into
the Markdown tables of bench/RESULTS.md: memory-bound benchmarks as GB/s (bytes read + written) and
as a fraction of the host (or, for device=cuda, device) copy roof measured in the same run;
time-per-call benchmarks as ns/op; the fused rotate+quantize as a time ratio to the plain rotation."""
import json
import sys


def params(b):
    p = b.get("params") or {}
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items()))


def roofs(runs):
    """The best GB/s of each roof benchmark in the run (Roof.hostCopy, Roof.hostRead, Roof.deviceCopy)."""
    best = {}
    for b in runs:
        name = b["benchmark"].replace("dev.lowbit.bench.", "")
        sec = b.get("secondaryMetrics", {}).get("bytes")
        if sec and name.startswith("Roof."):
            best[name] = max(best.get(name, 0), sec["score"] / 1e9)
    return best


def macs_table(runs):
    """Compute-bound benchmarks with a `macs` counter, as GMAC/s and a fraction of the roof of their
    instruction measured in the same run: GemmBench.bf16Peak for fp8*, GemmBench.int8Peak otherwise.
    Their weight GB/s (the decode GEMVs stream them) also as fractions of the host copy and read-only
    roofs of the run, where it has them: a weight stream only reads, and some hosts read at well under
    their copy rate."""
    rows, peaks = [], {"int8": 0.0, "bf16": 0.0}
    for b in runs:
        sec = b.get("secondaryMetrics", {})
        if "macs" not in sec:
            continue
        name = b["benchmark"].replace("dev.lowbit.bench.", "")
        g = sec["macs"]["score"] / 1e9
        if name.endswith("int8Peak") or name.endswith("bf16Peak"):
            key = "int8" if name.endswith("int8Peak") else "bf16"
            peaks[key] = max(peaks[key], g)
            continue
        wb = sec.get("bytes", {}).get("score", 0) / 1e9
        rows.append((name, params(b), g, sec["macs"]["scoreError"] / 1e9, wb))
    if not rows:
        return
    print(f"int8 VPDPBUSD peak (GemmBench.int8Peak, best of the run): {peaks['int8']:.1f} GMAC/s; "
          f"bf16 VDPBF16PS peak (GemmBench.bf16Peak): {peaks['bf16']:.1f} GMAC/s = {2 * peaks['bf16']:.1f} GFLOP/s\n")
    r = roofs(runs)
    copy, read = r.get("Roof.hostCopy"), r.get("Roof.hostRead")
    print("| benchmark | params | GMAC/s | ± (99.9%) | fraction of its peak | weight GB/s | of copy | of read |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|")
    for n, p, g, e, wb in rows:
        peak = peaks["bf16" if n.split(".")[-1].startswith("fp8") else "int8"]
        frac = f"{g / peak:.2f}" if peak else "-"
        of_copy = f"{wb / copy:.2f}" if copy and wb else "-"
        of_read = f"{wb / read:.2f}" if read and wb else "-"
        print(f"| {n} | {p} | {g:.1f} | {e:.1f} | {frac} | {wb:.1f} | {of_copy} | {of_read} |")
    print()


def main(path):
    runs = json.load(open(path))
    macs_table(runs)
    rates, times = [], []
    roof = roofs(runs)
    ops = {}  # (benchmark, params) -> ops/s, for the fused-versus-plain cost ratios
    for b in runs:
        ops[(b["benchmark"].replace("dev.lowbit.bench.", ""), params(b))] = b["primaryMetric"]["score"]
        name = b["benchmark"].replace("dev.lowbit.bench.", "")
        sec = b.get("secondaryMetrics", {}).get("bytes")
        if sec and "macs" not in b.get("secondaryMetrics", {}):
            gbs = sec["score"] / 1e9
            err = float(sec["scoreError"]) / 1e9  # JMH writes "NaN" (a string) with fewer than 3 iterations
            err = err if err == err else 0.0
            rates.append((name, params(b), gbs, err))
        elif "macs" in b.get("secondaryMetrics", {}):
            continue
        elif b["primaryMetric"]["scoreUnit"].startswith("ns/"):
            m = b["primaryMetric"]
            times.append((name, params(b), m["score"], float(m["scoreError"])))
    if times:
        print("| benchmark | params | ns/op | ± (99.9%) |\n|---|---|---:|---:|")
        for n, p, s, e in times:
            print(f"| {n} | {p} | {s:.2f} | {e:.2f} |")
        print()
    if rates:
        host = roof.get("Roof.hostCopy")
        print("| benchmark | params | GB/s (read+write) | ± (99.9%) | fraction of copy roof |\n|---|---|---:|---:|---:|")
        for n, p, s, e in rates:
            dev = roof.get("Roof.deviceCopy")
            on_gpu = "device=cuda" in p or n.startswith("Roof.deviceCopy")
            base = dev if on_gpu else host
            frac = f"{s / base:.2f}" if base else "-"
            print(f"| {n} | {p} | {s:.1f} | {e:.1f} | {frac} |")
    fused = [(k, v) for k, v in ops.items() if k[0].startswith("HadamardBench.rotateQuantize")]
    if fused:
        print("\n| fused benchmark | params | time / time of HadamardBench.rotate (same params) |\n|---|---|---:|")
        for (n, p), v in sorted(fused):
            plain = ops.get(("HadamardBench.rotate", p))
            if plain:
                print(f"| {n} | {p} | {plain / v:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "jmh.json")
