"""Peer for the device-copy roof: torch's device-to-device copy of the same bytes, timed with CUDA
events. Prints JSON with GB/s counted as bytes read + bytes written (the lowbit bench convention).
peer_gemm.py takes its roof from copy_bytes_per_s here and peer_hadamard.py its timer, so the scripts
measure one way."""
import argparse
import json

import torch


def event_ms(fn, iters=20):
    """Milliseconds per call of fn, eagerly: three warm-up calls, then `iters` between two CUDA events."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iters


def copy_bytes_per_s(mib=1024, iters=20):
    """Bytes read + written per second by torch's device copy of `mib` MiB, timed eagerly. Not in a CUDA graph:
    a captured copy becomes a memcpy node, which ran at 0.65 (H200) and 0.82 (H100) of the eager copy's rate
    (2.77 vs 4.25 TB/s on an H200, 2026-11-26)."""
    src = torch.empty(mib << 20, dtype=torch.uint8, device="cuda").fill_(1)
    dst = torch.empty_like(src)
    return 2 * src.numel() / (event_ms(lambda: dst.copy_(src), iters) * 1e-3)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--mib", type=int, default=1024)
    p.add_argument("--iters", type=int, default=20)
    a = p.parse_args()
    rate = copy_bytes_per_s(a.mib, a.iters)
    n = a.mib << 20
    print(json.dumps({"peer": "torch.Tensor.copy_ (device to device)", "device": torch.cuda.get_device_name(),
                      "bytes_per_buffer": n, "ms": 2 * n / rate * 1e3, "gb_per_s": rate / 1e9}))
