"""Side-by-side peer for the Hadamard benchmark on the GPU: for each row length n and dtype, the time of
a device-to-device copy of the same bytes (the issue's anchor: rotation time <= 1.1x copy time) and of
a plain PyTorch FWHT (log2 n butterfly stages with reshapes; m * 2^k sizes add a dense H_m matmul),
with the same matrix shape as HadamardBench ([rows, n] of `mib` MiB). Prints one JSON line per case."""
import argparse
import json
import math

import torch

from peer_copy import event_ms

p = argparse.ArgumentParser()
p.add_argument("--mib", type=int, default=512)
p.add_argument("--iters", type=int, default=20)
p.add_argument("--sizes", default="128,1024,4096,16384,32768,384,1536,14336")
a = p.parse_args()


def fwht(x):
    """Sylvester FWHT over the last dimension (a power of two), natural order."""
    n = x.shape[-1]
    rows = x.shape[:-1]
    h = 1
    while h < n:
        y = x.reshape(*rows, n // (2 * h), 2, h)
        x = torch.stack((y[..., 0, :] + y[..., 1, :], y[..., 0, :] - y[..., 1, :]), dim=-2).reshape(*rows, n)
        h *= 2
    return x


for n in [int(s) for s in a.sizes.split(",")]:
    c = n & -n
    m = n // c
    if m > 1:  # lowbit's m = 4 * odd; the rest of the power of two stays in c
        c //= 4
        m *= 4
    for dtype in (torch.float32, torch.bfloat16):
        rows = (a.mib << 20) // (n * torch.finfo(dtype).bits // 8)
        x = torch.randn(rows, n, device="cuda", dtype=dtype)
        y = torch.empty_like(x)
        copy_ms = event_ms(lambda: y.copy_(x), a.iters)
        hm = torch.ones(m, m, device="cuda", dtype=dtype)  # stands in for H_m: the cost, not the values

        def rotate():
            t = fwht(x.view(rows, m, c).float()).to(dtype) if c > 1 else x.view(rows, m, c)
            return torch.matmul(hm, t) if m > 1 else t

        torch_ms = event_ms(rotate, a.iters)
        print(json.dumps({"n": n, "dtype": str(dtype).replace("torch.", ""), "rows": rows,
                          "copy_ms": copy_ms, "torch_fwht_ms": torch_ms,
                          "copy_gb_per_s": 2 * x.numel() * x.element_size() / copy_ms / 1e6,
                          "device": torch.cuda.get_device_name()}), flush=True)
