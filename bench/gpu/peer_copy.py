"""Peer for the device-copy roof: torch's device-to-device copy of the same bytes, timed with CUDA
events. Prints JSON with GB/s counted as bytes read + bytes written (the lowbit bench convention)."""
import argparse
import json

import torch

p = argparse.ArgumentParser()
p.add_argument("--mib", type=int, default=1024)
p.add_argument("--iters", type=int, default=20)
a = p.parse_args()
n = a.mib << 20
src = torch.empty(n, dtype=torch.uint8, device="cuda").fill_(1)
dst = torch.empty_like(src)
for _ in range(3):
    dst.copy_(src)
torch.cuda.synchronize()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(a.iters):
    dst.copy_(src)
end.record()
torch.cuda.synchronize()
ms = start.elapsed_time(end) / a.iters
print(json.dumps({"peer": "torch.Tensor.copy_ (device to device)", "device": torch.cuda.get_device_name(),
                  "bytes_per_buffer": n, "ms": ms, "gb_per_s": 2 * n / ms / 1e6}))
