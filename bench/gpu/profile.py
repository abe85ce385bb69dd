"""One call of each CUDA kernel that misses its speed goal, for Nsight Compute to profile.

The 2026-11-26 (12) H200 run measured them (bench/RESULTS.md): FP8 GEMM 0.37-0.48x torch._scaled_mm (0.35-0.52x on
the warp-specialised kernel, LOWBIT_CUDA_WS=1) where W8A8 on the warp-specialised kernel (its default now) reaches
0.99-1.26x torch._int_mm and is not profiled; W4A16 decode 0.25 of copy at 4096 x 4096 (0.44 at 14336 x 4096) and
0.95x torch fp16 at m = 16; Hadamard F32 0.85 / BF16 0.52 of copy at n = 4096; the fused rotate + int4 3.0x the
rotation; quantize 0.28-0.48 of copy. Times alone do not say why; ncu's speed-of-light, occupancy, warp-stall and
memory sections do (the lease (8) profile: bench/results/2026-11-26-gpu-h200-ncu.csv.gz). FP8 is profiled as
dispatched, then with K-major weights (LOWBIT_CUDA_KMAJOR=1: both wgmma operands from shared memory).
Run on the GPU machine as

  ncu --target-processes all --csv --section SpeedOfLight --section Occupancy --section WarpStateStats \
      --section LaunchStats --section MemoryWorkloadAnalysis python3 bench/gpu/profile.py --jar <lowbit jar>

(bench/gpu/device.sh does with LOWBIT_PROFILE=1). Each case runs once after one warm-up call of the same
kernel; the case names go to stderr between them, so the CSV rows can be told apart by order.
"""
import argparse
import ctypes
import os
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import peer_gemm as pg  # noqa: E402  (its library loading, constants and W4A16 weights)

C = pg.C


class HadamardParams(ctypes.Structure):
    _fields_ = [("n", ctypes.c_int64), ("seed", ctypes.c_uint64), ("flags", ctypes.c_int32)]


def bind(so):
    i32, i64, p = ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p
    so.lb_hadamard_transform.argtypes = [i32, p, ctypes.POINTER(HadamardParams), p, i32, p, i32, i64]
    so.lb_hadamard_quantize.argtypes = [i32, p, ctypes.POINTER(HadamardParams), ctypes.POINTER(pg.QuantParams), p, i32, i64, p, p, p]
    so.lb_quantize.argtypes = [i32, p, ctypes.POINTER(pg.QuantParams), p, i32, i64, i64, p, p, p]


def twice(name, fn):
    """A warm-up call, then the profiled one (ncu profiles both; the second is the one to read)."""
    print(f"== {name}", file=sys.stderr, flush=True)
    fn()
    fn()
    torch.cuda.synchronize()


def prefill_calls(so):
    """W8A8 and FP8 calls at m = n = k = 8192 (row x column scales, bf16 out) on random operands (W8A8 for
    peer-style callers; the profile below takes FP8 alone)."""
    n = k = m = 8192
    e4 = torch.float8_e4m3fn
    a8, b8 = torch.randint(-128, 128, (m, k), dtype=torch.int8, device="cuda"), torch.randint(-128, 128, (n, k), dtype=torch.int8, device="cuda")
    s_m, s_n = torch.rand(m, device="cuda") * 1e-2, torch.rand(n, device="cuda") * 1e-2
    out = torch.empty((m, n), dtype=torch.bfloat16, device="cuda")
    packed = torch.empty(so.lb_w8a8_packed_bytes(n, k), dtype=torch.uint8, device="cuda")
    pg.ok(so, so.lb_w8a8_prepack(0, b8.data_ptr(), n, k, packed.data_ptr(), packed.numel()), "lb_w8a8_prepack")
    af, bf = (torch.randn(m, k, device="cuda") * 0.5).to(e4), (torch.randn(n, k, device="cuda") * 0.5).to(e4)
    fpacked = torch.empty(so.lb_fp8_packed_bytes(n, k), dtype=torch.uint8, device="cuda")
    pg.ok(so, so.lb_fp8_prepack(0, bf.data_ptr(), n, k, fpacked.data_ptr(), fpacked.numel()), "lb_fp8_prepack")

    def w8a8():
        pg.ok(so, so.lb_w8a8_gemm(0, None, a8.data_ptr(), s_m.data_ptr(), packed.data_ptr(), s_n.data_ptr(), None,
                                  out.data_ptr(), C["LB_DTYPE_BF16"], m, n, k), "lb_w8a8_gemm")

    def fp8():
        pg.ok(so, so.lb_fp8_gemm(0, None, af.data_ptr(), C["LB_DTYPE_FP8_E4M3"], s_m.data_ptr(), fpacked.data_ptr(),
                                 C["LB_DTYPE_FP8_E4M3"], s_n.data_ptr(), C["LB_FP8_SCALE_ROW_COL"], None, out.data_ptr(),
                                 C["LB_DTYPE_BF16"], m, n, k), "lb_fp8_gemm")

    return w8a8, fp8


def gemms(so):
    _, fp8_8192 = prefill_calls(so)
    # The default at 8192^3 since session 25: both wgmma operands from shared memory on a per-call K-major copy
    # (kmajor_copy.cuh): ncu lists the copy (kmajor_copy_kernel) and the GEMM kernel as separate rows.
    twice("fp8 e4m3 8192^3 row x col scales, bf16 out, K-major weights (0.48x torch._scaled_mm before them)", fp8_8192)
    # The register form it replaced there (LOWBIT_CUDA_KMAJOR=0, read per call). (Folding every 4 stages,
    # profiled here until lease (20), measured slower than every stage.)
    os.environ["LOWBIT_CUDA_KMAJOR"] = "0"
    try:
        twice("fp8 e4m3 8192^3, register-form weights (LOWBIT_CUDA_KMAJOR=0)", fp8_8192)
    finally:
        del os.environ["LOWBIT_CUDA_KMAJOR"]
    lb = pg.Lowbit(so)
    wp, _, _ = pg.w4a16_weights(lb, 4096, 4096, 128)
    for rows in (1, 16):
        x = torch.randn(rows, 4096, device="cuda").half()
        y = torch.empty((rows, 4096), dtype=torch.float16, device="cuda")
        twice(f"w4a16 g128 4096x4096 m={rows} f16 (m = 1: 0.25 of copy; m = 16: 0.95x torch fp16)",
              lambda x=x, y=y, rows=rows: pg.ok(so, so.lb_w4a16_gemm(0, None, x.data_ptr(), C["LB_DTYPE_F16"], wp.data_ptr(), None,
                                                                     y.data_ptr(), C["LB_DTYPE_F16"], rows, 4096, 4096, 128, 0),
                                                "lb_w4a16_gemm"))
    # Decode on the fp8 tensor cores (issue 7: W4A8 >= 1.7x FP8 at m <= 16; measured 2.2x here, 0.91x at 14336 x 4096).
    n = k = 4096
    e4 = torch.float8_e4m3fn
    a16, s16 = (torch.randn(16, k, device="cuda") * 0.5).to(e4), torch.rand(16, device="cuda") * 1e-2 + 1e-3
    s_n = torch.rand(n, device="cuda") * 1e-2
    y16 = torch.empty((16, n), dtype=torch.bfloat16, device="cuda")
    bf4 = (torch.randn(n, k, device="cuda") * 0.5).to(e4)
    fp4 = torch.empty(so.lb_fp8_packed_bytes(n, k), dtype=torch.uint8, device="cuda")
    pg.ok(so, so.lb_fp8_prepack(0, bf4.data_ptr(), n, k, fp4.data_ptr(), fp4.numel()), "lb_fp8_prepack")
    twice("fp8 e4m3 4096x4096 m=16 (0.39x torch._scaled_mm)",
          lambda: pg.ok(so, so.lb_fp8_gemm(0, None, a16.data_ptr(), C["LB_DTYPE_FP8_E4M3"], s16.data_ptr(), fp4.data_ptr(),
                                           C["LB_DTYPE_FP8_E4M3"], s_n.data_ptr(), C["LB_FP8_SCALE_ROW_COL"], None, y16.data_ptr(),
                                           C["LB_DTYPE_BF16"], 16, n, k), "lb_fp8_gemm"))
    twice("w4a8 g128 4096x4096 m=16 (2.2x our fp8; 0.91x at 14336 x 4096)",
          lambda: pg.ok(so, so.lb_w4a8_gemm(0, None, a16.data_ptr(), C["LB_DTYPE_FP8_E4M3"], s16.data_ptr(), wp.data_ptr(), None,
                                            y16.data_ptr(), C["LB_DTYPE_BF16"], 16, n, k, 128), "lb_w4a8_gemm"))


def warp_specialised(so):
    """FP8 at 8192^3 on the warp-specialised kernel (LOWBIT_CUDA_WS=1; 0.52x torch._scaled_mm against the cp.async
    kernel's 0.48x), with TMA and with cp.async weights, and W8A8 on it for reference: last, since a protocol
    error there traps and ends the process."""
    w8a8_8192, fp8_8192 = prefill_calls(so)
    os.environ["LOWBIT_CUDA_WS"] = "1"  # read per call
    try:
        twice("fp8 e4m3 8192^3 row x col scales, warp-specialised (LOWBIT_CUDA_WS=1)", fp8_8192)
        os.environ["LOWBIT_CUDA_FP8_TMA_WEIGHTS"] = "0"
        twice("fp8 e4m3 8192^3, warp-specialised, weights by cp.async (LOWBIT_CUDA_FP8_TMA_WEIGHTS=0)", fp8_8192)
        # The reference for both: W8A8 on the same kernel and tile at 1.01x torch._int_mm.
        twice("w8a8 8192^3 bf16 out, warp-specialised (the default; 1.01x torch._int_mm)", w8a8_8192)
    finally:
        del os.environ["LOWBIT_CUDA_WS"]
        os.environ.pop("LOWBIT_CUDA_FP8_TMA_WEIGHTS", None)


def rotations(so, mib):
    for n, dtype, lb_dtype in ((4096, torch.float32, "LB_DTYPE_F32"), (4096, torch.bfloat16, "LB_DTYPE_BF16"),
                               (14336, torch.float32, "LB_DTYPE_F32")):
        rows = (mib << 20) // (n * dtype.itemsize)
        x, y = torch.randn(rows, n, device="cuda").to(dtype), torch.empty(rows, n, device="cuda", dtype=dtype)
        hp = HadamardParams(n, 7, C["LB_HADAMARD_NORMALIZE"] | C["LB_HADAMARD_RANDOM_SIGNS"])
        twice(f"hadamard n={n} {dtype} {mib} MiB (F32 0.85, BF16 0.52 of the H200's copy)",
              lambda x=x, y=y, hp=hp, t=C[lb_dtype], rows=rows: pg.ok(
                  so, so.lb_hadamard_transform(0, None, ctypes.byref(hp), x.data_ptr(), t, y.data_ptr(), t, rows), "lb_hadamard_transform"))
        if n == 4096 and dtype == torch.float32:
            qp = pg.QuantParams(C["LB_DTYPE_I4"], C["LB_DTYPE_F16"], C["LB_DTYPE_U4"], 0, 1, 128)
            q = torch.empty(rows * n // 2, dtype=torch.uint8, device="cuda")
            sc = torch.empty(rows * n // 128, dtype=torch.float16, device="cuda")
            twice("hadamard + int4 g128 n=4096 f32 (3.0x the rotation)",
                  lambda x=x, hp=hp, rows=rows: pg.ok(so, so.lb_hadamard_quantize(0, None, ctypes.byref(hp), ctypes.byref(qp), x.data_ptr(),
                                                                                 C["LB_DTYPE_F32"], rows, q.data_ptr(), sc.data_ptr(), None),
                                                      "lb_hadamard_quantize"))


def quantizers(so):
    rows = cols = 8192  # 256 MiB of f32
    x = torch.randn(rows, cols, device="cuda")
    # int8 per row and fp8 128 x 128: the block kernel that re-reads a quant block from L2 (written after the
    # (12) run; the four kernels gave 0.48 / 0.28 there); int4 g128: the tile kernel (0.43).
    for name, qtype, block_rows, block in (("int8 per row", "LB_DTYPE_I8", 1, cols), ("int4 g128", "LB_DTYPE_I4", 1, 128),
                                           ("fp8 e4m3 128x128", "LB_DTYPE_FP8_E4M3", 128, 128)):
        qp = pg.QuantParams(C[qtype], C["LB_DTYPE_F32"], C["LB_DTYPE_U4"], 0, block_rows, block)
        q = torch.empty(rows * cols, dtype=torch.uint8, device="cuda")
        sc = torch.empty(rows * cols // (block_rows * block), dtype=torch.float32, device="cuda")
        twice(f"quantize {name} {rows}x{cols} f32",
              lambda qp=qp, q=q, sc=sc: pg.ok(so, so.lb_quantize(0, None, ctypes.byref(qp), x.data_ptr(), C["LB_DTYPE_F32"], rows, cols,
                                                                 q.data_ptr(), sc.data_ptr(), None), "lb_quantize"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar")
    ap.add_argument("--lib")
    ap.add_argument("--mib", type=int, default=256)
    a = ap.parse_args()
    so = pg.load(a.jar, a.lib)
    bind(so)
    gemms(so)
    rotations(so, a.mib)
    quantizers(so)
    warp_specialised(so)


if __name__ == "__main__":
    main()
