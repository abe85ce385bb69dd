"""lowbit's CUDA GEMMs beside their PyTorch peers on one GPU, in one process, on one stream.

lowbit is called through its C ABI (ctypes on liblowbit.so, taken from the lowbit jar) on PyTorch's
stream (lb_cuda_stream_wrap), so both sides are captured in CUDA graphs and timed with the same CUDA
events: no host launch overhead on either side. Decode sizes (m <= 16) rotate through weight copies
adding up to >= 1 GiB so the weights come from HBM, not from L2.

Checks before timing (an independent oracle for the kernels, since the JVM tests may not run here):
  W8A8 and W4A4 I32 outputs == exact int64 products (float64 on the GPU, exact for these sizes);
  W4A16 F32 output ~ float32 matmul of the dequantized weights;
  FP8 (E4M3, per-token x per-channel scales) ~ float32 matmul of the decoded values, and beside
  torch._scaled_mm (rowwise scales, BF16 output) on the same inputs; W4A8 (I4 weights, group 128)
  on the same activations ~ float32, timed against FP8 x FP8 (issue 7's m <= 16 comparison).
Rows of JSON on stdout, one per (kernel, shape, m); a readable table on stderr.

  python3 bench/gpu/peer_gemm.py --jar .gpu/lib/lowbit-0.1.0-SNAPSHOT.jar [--quick]
"""
import argparse
import ctypes
import json
import os
import re
import sys
import tempfile
import zipfile
from pathlib import Path

import torch

from peer_copy import copy_bytes_per_s  # this directory: run as bench/gpu/peer_gemm.py, or imported by profile.py

ROOT = Path(__file__).resolve().parents[2]
SHAPES = [(4096, 4096), (14336, 4096), (4096, 14336), (28672, 8192), (1536, 384), (384, 1536), (8192, 8192)]  # n x k
MS = [1, 4, 16, 64, 256, 2048, 8192]
W4A16_MAX_M = 2048  # the tensor-core W4A16 is built for m <= 64 (weights re-read per 64 rows beyond); 8192 only costs time


def header_constants():
    text = (ROOT / "native/include/lowbit.h").read_text()
    return {k: int(v, 0) for k, v in re.findall(r"#define (LB_[A-Z0-9_]+) (-?(?:0x)?[0-9a-fA-F]+)\b", text)}


C = header_constants()


class QuantParams(ctypes.Structure):
    _fields_ = [("qtype", ctypes.c_int32), ("scale_dtype", ctypes.c_int32), ("zero_dtype", ctypes.c_int32),
                ("flags", ctypes.c_int32), ("block_rows", ctypes.c_int64), ("block_cols", ctypes.c_int64)]


def load(jar, lib):
    if lib is None:
        out = Path(tempfile.mkdtemp()) / "liblowbit.so"
        with zipfile.ZipFile(jar) as z:
            out.write_bytes(z.read("dev/lowbit/native/linux-x86_64/liblowbit.so"))
        lib = out
    so = ctypes.CDLL(str(lib))
    i32, i64, p = ctypes.c_int32, ctypes.c_int64, ctypes.c_void_p
    so.lb_last_error.restype = ctypes.c_char_p
    so.lb_w8a8_packed_bytes.restype = i64
    so.lb_w8a8_packed_bytes.argtypes = [i64, i64]
    so.lb_w8a8_prepack.argtypes = [i32, p, i64, i64, p, i64]
    so.lb_w8a8_gemm.argtypes = [i32, p, p, p, p, p, p, p, i32, i64, i64, i64]
    so.lb_w4a4_packed_bytes.restype = i64
    so.lb_w4a4_packed_bytes.argtypes = [i64, i64]
    so.lb_w4a4_prepack.argtypes = [i32, p, i64, i64, p, i64]
    so.lb_w4a4_gemm.argtypes = [i32, p, p, p, p, p, p, p, i32, i64, i64, i64]
    so.lb_fp8_packed_bytes.restype = i64
    so.lb_fp8_packed_bytes.argtypes = [i64, i64]
    so.lb_fp8_prepack.argtypes = [i32, p, i64, i64, p, i64]
    so.lb_fp8_gemm.argtypes = [i32, p, p, i32, p, p, i32, p, i32, p, p, i32, i64, i64, i64]
    so.lb_w4a8_gemm.argtypes = [i32, p, p, i32, p, p, p, p, i32, i64, i64, i64, i64]
    so.lb_w4a16_packed_bytes.restype = i64
    so.lb_w4a16_packed_bytes.argtypes = [i64, i64, i64]
    so.lb_w4a16_prepack.argtypes = [i32, ctypes.POINTER(QuantParams), p, p, p, i64, i64, p, i64]
    so.lb_w4a16_gemm.argtypes = [i32, p, p, i32, p, p, p, i32, i64, i64, i64, i64, i32]
    so.lb_cuda_stream_wrap.argtypes = [i32, p, ctypes.POINTER(p)]
    so.lb_cuda_stream_destroy.argtypes = [p]
    return so


def ok(so, status, what):
    if status != 0:
        raise RuntimeError(f"{what}: status {status}: {so.lb_last_error().decode()}")


def timed(fn, iters):
    """Device time per call of fn, captured in a CUDA graph of `iters` calls (after a warm-up)."""
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for i in range(3):
            fn(i)
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g, stream=s):
        for i in range(iters):
            fn(i)
    g.replay()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(5):
        g.replay()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / (5 * iters) * 1e-3  # seconds


class Lowbit:
    """lowbit calls on whatever stream is current (wrapped once per stream)."""

    def __init__(self, so):
        self.so, self.wrapped = so, {}

    def stream(self):
        raw = torch.cuda.current_stream().cuda_stream
        if raw == 0:  # the legacy default stream: lowbit's NULL lb_stream (lb_cuda_stream_wrap refuses a NULL handle)
            return None
        if raw not in self.wrapped:
            h = ctypes.c_void_p()
            ok(self.so, self.so.lb_cuda_stream_wrap(0, ctypes.c_void_p(raw), ctypes.byref(h)), "lb_cuda_stream_wrap")
            self.wrapped[raw] = h
        return self.wrapped[raw]


def copies_for(nbytes, m):
    return max(1, min(256, -(-(1 << 30) // nbytes))) if m <= 16 else 1


def rel_err(d, ref, mag):
    """Largest |d - ref| relative to sum |a b| of the same output: the measure every GEMM check here bounds."""
    return ((d - ref).abs() / mag.clamp_min(1e-30)).max().item()


def mma_sync_variant(row, key, time_it):
    """At prefill sizes on Hopper, W8A8 and FP8 run on the wgmma kernel: time the same call on the mma.sync kernel
    (LOWBIT_CUDA_WGMMA=0) beside it, so the step the wgmma path makes is measured in one run."""
    if row["m"] < 512:
        return
    mma_sync_key = key.replace("lowbit_", "lowbit_mma_sync_")
    os.environ["LOWBIT_CUDA_WGMMA"] = "0"
    try:
        row[mma_sync_key] = time_it()
    finally:
        del os.environ["LOWBIT_CUDA_WGMMA"]
    row["wgmma_speedup"] = row[mma_sync_key] / row[key]


def w8a8_cases(lb, shapes, ms, out, extras=True):
    """extras: also the mma.sync kernel and W4A4 on the same shapes."""
    so = lb.so
    for n, k in shapes:
        b = torch.randint(-128, 128, (n, k), dtype=torch.int8, device="cuda")
        bs = torch.rand(n, device="cuda") * 1e-2
        nbytes = so.lb_w8a8_packed_bytes(n, k)
        packed0 = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        ok(so, so.lb_w8a8_prepack(0, b.data_ptr(), n, k, packed0.data_ptr(), nbytes), "lb_w8a8_prepack")
        for m in ms:
            a = torch.randint(-128, 128, (m, k), dtype=torch.int8, device="cuda")
            a_s = torch.rand(m, device="cuda") * 1e-2
            d32 = torch.empty((m, n), dtype=torch.int32, device="cuda")
            dbf = torch.empty((m, n), dtype=torch.bfloat16, device="cuda")
            packs = [packed0] + [packed0.clone() for _ in range(copies_for(nbytes, m) - 1)]

            def run(i, d=d32, dtype=C["LB_DTYPE_I32"]):
                ok(so, so.lb_w8a8_gemm(0, lb.stream(), a.data_ptr(), a_s.data_ptr(), packs[i % len(packs)].data_ptr(), bs.data_ptr(),
                                       None, d.data_ptr(), dtype, m, n, k), "lb_w8a8_gemm")

            run(0)
            torch.cuda.synchronize()
            exact = (a.double() @ b.double().t()).to(torch.int64)
            assert torch.equal(d32.to(torch.int64), exact), f"W8A8 I32 differs from the exact product at m={m} n={n} k={k}"
            row = {"kernel": "w8a8", "n": n, "k": k, "m": m, "device": torch.cuda.get_device_name()}
            row["lowbit_i32_s"] = timed(run, 20)
            row["lowbit_bf16_s"] = timed(lambda i: run(i, dbf, C["LB_DTYPE_BF16"]), 20)
            if m > 16 and k % 8 == 0 and n % 8 == 0:  # torch._int_mm's own limits
                bt = b.t()
                try:
                    row["torch_int_mm_s"] = timed(lambda i: torch._int_mm(a, bt), 20)
                    row["ratio_vs_int_mm"] = row["torch_int_mm_s"] / row["lowbit_i32_s"]
                except RuntimeError as e:  # a peer's limit is a fact to report, not a reason to stop
                    row["torch_int_mm_error"] = str(e).splitlines()[0]
            row["lowbit_tops"] = 2 * m * n * k / row["lowbit_i32_s"] / 1e12
            if extras:
                mma_sync_variant(row, "lowbit_i32_s", lambda: timed(run, 20))
                if m >= 512:  # K-major weights (LOWBIT_CUDA_KMAJOR, read per call; see kmajor_variant): exact too
                    for mode, name in (("0", "register"), ("1", "kmajor"), ("2", "kmajor_kernel")):
                        os.environ["LOWBIT_CUDA_KMAJOR"] = mode
                        try:
                            run(0)
                            torch.cuda.synchronize()
                            row[f"{name}_exact"] = bool(torch.equal(d32.to(torch.int64), exact))
                            row[f"lowbit_{name}_i32_s"] = timed(run, 20)
                            if name != "register":  # against the register form (the default is K-major from m = 2048)
                                row[f"{name}_speedup"] = row["lowbit_register_i32_s"] / row[f"lowbit_{name}_i32_s"]
                        finally:
                            del os.environ["LOWBIT_CUDA_KMAJOR"]
                w4a4_case(lb, row, m, n, k)
            out(row)


def nibbles(rows, k):
    """Random I4 codes [rows, k] packed two per byte (low nibble first), and their values."""
    packed = torch.randint(0, 256, (rows, k // 2), dtype=torch.uint8, device="cuda")
    lo, hi = (packed & 0xF).int(), (packed >> 4).int()
    v = torch.stack([lo, hi], dim=2).reshape(rows, k)
    return packed, torch.where(v >= 8, v - 16, v)


def w4a4_case(lb, row, m, n, k):
    """W4A4 on the W8A8 case's shape (the issue asks for W4A4 against W8A8): checked exactly, then timed."""
    so = lb.so
    a, av = nibbles(m, k)
    b, bv = nibbles(n, k)
    nbytes = so.lb_w4a4_packed_bytes(n, k)
    packed0 = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    ok(so, so.lb_w4a4_prepack(0, b.data_ptr(), n, k, packed0.data_ptr(), nbytes), "lb_w4a4_prepack")
    packs = [packed0] + [packed0.clone() for _ in range(copies_for(nbytes, m) - 1)]
    d32 = torch.empty((m, n), dtype=torch.int32, device="cuda")

    def run(i):
        ok(so, so.lb_w4a4_gemm(0, lb.stream(), a.data_ptr(), None, packs[i % len(packs)].data_ptr(), None, None, d32.data_ptr(),
                               C["LB_DTYPE_I32"], m, n, k), "lb_w4a4_gemm")

    run(0)
    torch.cuda.synchronize()
    exact = (av.double() @ bv.double().t()).to(torch.int64)
    assert torch.equal(d32.to(torch.int64), exact), f"W4A4 I32 differs from the exact product at m={m} n={n} k={k}"
    row["lowbit_w4a4_i32_s"] = timed(run, 20)
    row["w4a4_speedup_vs_w8a8"] = row["lowbit_i32_s"] / row["lowbit_w4a4_i32_s"]


def w4a16_weights(lb, n, k, group, codes=None, scales=None):
    """Random I4 weights (group scales F16) prepacked by lb_w4a16_prepack, with their dequantized f32 values."""
    so = lb.so
    codes = torch.randint(0, 256, (n, k // 2), dtype=torch.uint8, device="cuda") if codes is None else codes
    scales = (torch.rand(n, k // group, device="cuda") * 1e-2 + 1e-3).half() if scales is None else scales
    params = QuantParams(C["LB_DTYPE_I4"], C["LB_DTYPE_F16"], C["LB_DTYPE_U4"], 0, 1, group)
    nbytes = so.lb_w4a16_packed_bytes(n, k, group)
    packed = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    ok(so, so.lb_w4a16_prepack(0, ctypes.byref(params), codes.data_ptr(), scales.data_ptr(), None, n, k, packed.data_ptr(), nbytes),
       "lb_w4a16_prepack")
    # I4 code c = nibble, two's complement: value c * scale
    lo, hi = (codes & 0xF).int(), (codes >> 4).int()
    nib = torch.stack([lo, hi], dim=2).reshape(n, k)
    w_deq = torch.where(nib >= 8, nib - 16, nib).float() * scales.float().repeat_interleave(group, dim=1)
    return packed, nbytes, w_deq


def w4a8_case(lb, row, a, a_s, m, n, k):
    """W4A8 (I4 weights, group 128) with the FP8 case's activations: checked against f32, timed against FP8 x FP8."""
    so = lb.so
    if k % 128:
        return
    packed0, nbytes, w_deq = w4a16_weights(lb, n, k, 128)
    packs = [packed0] + [packed0.clone() for _ in range(copies_for(nbytes, m) - 1)]
    d32 = torch.empty((m, n), dtype=torch.float32, device="cuda")
    dbf = torch.empty((m, n), dtype=torch.bfloat16, device="cuda")

    def run(i, y=dbf, dtype=C["LB_DTYPE_BF16"]):
        ok(so, so.lb_w4a8_gemm(0, lb.stream(), a.data_ptr(), C["LB_DTYPE_FP8_E4M3"], a_s.data_ptr(), packs[i % len(packs)].data_ptr(), None,
                               y.data_ptr(), dtype, m, n, k, 128), "lb_w4a8_gemm")

    run(0, d32, C["LB_DTYPE_F32"])
    torch.cuda.synchronize()
    ref = (a.float() @ w_deq.t()) * a_s[:, None]
    mag = (a.float().abs() @ w_deq.abs().t()) * a_s[:, None]
    err = rel_err(d32, ref, mag)
    assert err < 2 ** -10, f"W4A8 differs from the f32 reference by {err:.2e} of sum |a w| at m={m} n={n} k={k}"
    row["lowbit_w4a8_bf16_s"] = timed(run, 20)
    row["w4a8_speedup_vs_fp8"] = row["lowbit_bf16_s"] / row["lowbit_w4a8_bf16_s"]


def env_variant(row, run, d32, ref, mag, var, value, name):
    """The same FP8 call with the environment switch var = value (read per call by fp8.cu): its error against the
    f32 reference (row[name_max_err_of_abs_sum]) and its time (row[lowbit_name_bf16_s]), beside the default's."""
    os.environ[var] = value
    try:
        run(0, d32, C["LB_DTYPE_F32"])
        torch.cuda.synchronize()
        row[f"{name}_max_err_of_abs_sum"] = rel_err(d32, ref, mag)
        row[f"lowbit_{name}_bf16_s"] = timed(run, 20)
    finally:
        del os.environ[var]


def halves_variant(row, run, d32, ref, mag):
    """FP8's wgmma kernel folds every 128 k on a half-tile pipeline by default (fp8.cu's kHalves);
    LOWBIT_CUDA_FP8_HALVES=0 runs the whole-stage kernel it replaced: checked and timed beside it."""
    if row["m"] < 512:
        return
    env_variant(row, run, d32, ref, mag, "LOWBIT_CUDA_FP8_HALVES", "0", "whole_stage")
    row["halves_speedup"] = row["lowbit_whole_stage_bf16_s"] / row["lowbit_bf16_s"]


def kmajor_variant(row, run, d32, ref, mag):
    """LOWBIT_CUDA_KMAJOR (kmajor_copy.cuh): the warp-specialised kernel reading both wgmma operands from
    shared memory, on a K-major copy of the weights — made in each call (1: kmajor_speedup, the copy's time
    included; the default from m = 2048 on weights of 4096 x 4096 and more) or kept from the first call
    (2, benchmark-only: kmajor_kernel_speedup, the GEMM kernel alone), each against the register form
    (0: lowbit_register_bf16_s). > 1: faster than the register form."""
    if row["m"] < 512:
        return
    env_variant(row, run, d32, ref, mag, "LOWBIT_CUDA_KMAJOR", "0", "register")
    env_variant(row, run, d32, ref, mag, "LOWBIT_CUDA_KMAJOR", "1", "kmajor")
    row["kmajor_speedup"] = row["lowbit_register_bf16_s"] / row["lowbit_kmajor_bf16_s"]
    env_variant(row, run, d32, ref, mag, "LOWBIT_CUDA_KMAJOR", "2", "kmajor_kept")
    row["kmajor_kernel_speedup"] = row["lowbit_register_bf16_s"] / row["lowbit_kmajor_kept_bf16_s"]


def fold_variants(row, run, d32, ref, mag):
    """At prefill sizes the FP8 wgmma kernel folds its tensor-core sums into f32 every 128 k; with
    LOWBIT_CUDA_FP8_FOLD_STAGES = F it folds every F * 128 k (fp8.cu): time F = 2 and 4 beside the default and
    report their error against the same f32 reference, the price of the longer tensor-core accumulation."""
    if row["m"] < 512:
        return
    for f in (2, 4):
        env_variant(row, run, d32, ref, mag, "LOWBIT_CUDA_FP8_FOLD_STAGES", str(f), f"fold{f}")
        row[f"fold{f}_speedup"] = row["lowbit_bf16_s"] / row[f"lowbit_fold{f}_bf16_s"]


def fp8_cases(lb, shapes, ms, out, extras=True):
    """extras: also the kernel variants (mma.sync, fold interval, half-tile) and W4A8 on the same inputs."""
    so = lb.so
    e4 = torch.float8_e4m3fn
    for n, k in shapes:
        b = (torch.randn(n, k, device="cuda") * 0.5).to(e4)
        bs = torch.rand(n, device="cuda") * 1e-2 + 1e-3
        nbytes = so.lb_fp8_packed_bytes(n, k)
        packed0 = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        ok(so, so.lb_fp8_prepack(0, b.data_ptr(), n, k, packed0.data_ptr(), nbytes), "lb_fp8_prepack")
        for m in ms:
            a = (torch.randn(m, k, device="cuda") * 0.5).to(e4)
            a_s = torch.rand(m, device="cuda") * 1e-2 + 1e-3
            d = torch.empty((m, n), dtype=torch.bfloat16, device="cuda")
            d32 = torch.empty((m, n), dtype=torch.float32, device="cuda")
            packs = [packed0] + [packed0.clone() for _ in range(copies_for(nbytes, m) - 1)]

            def run(i, y=d, dtype=C["LB_DTYPE_BF16"]):
                ok(so, so.lb_fp8_gemm(0, lb.stream(), a.data_ptr(), C["LB_DTYPE_FP8_E4M3"], a_s.data_ptr(), packs[i % len(packs)].data_ptr(),
                                      C["LB_DTYPE_FP8_E4M3"], bs.data_ptr(), C["LB_FP8_SCALE_ROW_COL"], None, y.data_ptr(), dtype, m, n, k),
                   "lb_fp8_gemm")

            run(0, d32, C["LB_DTYPE_F32"])
            torch.cuda.synchronize()
            ref = (a.float() @ b.float().t()) * a_s[:, None] * bs[None, :]
            mag = (a.float().abs() @ b.float().abs().t()) * a_s[:, None] * bs[None, :]
            err = rel_err(d32, ref, mag)
            assert err < 2 ** -10, f"FP8 differs from the f32 reference by {err:.2e} of sum |a b| at m={m} n={n} k={k}"
            row = {"kernel": "fp8", "n": n, "k": k, "m": m, "device": torch.cuda.get_device_name(), "max_err_of_abs_sum": err}
            row["lowbit_bf16_s"] = timed(run, 20)
            row["lowbit_tflops"] = 2 * m * n * k / row["lowbit_bf16_s"] / 1e12
            if extras:
                mma_sync_variant(row, "lowbit_bf16_s", lambda: timed(run, 20))
                fold_variants(row, run, d32, ref, mag)
                halves_variant(row, run, d32, ref, mag)
                kmajor_variant(row, run, d32, ref, mag)
                run(0, d32, C["LB_DTYPE_F32"])  # the variants wrote d32: the default kernel's output again, for the peer's diff
                torch.cuda.synchronize()
                w4a8_case(lb, row, a, a_s, m, n, k)
            try:
                bt, sa, sb = b.t(), a_s[:, None].contiguous(), bs[None, :].contiguous()
                peer = torch._scaled_mm(a, bt, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16)
                row["max_diff_vs_scaled_mm"] = (peer.float() - d32).abs().max().item()
                row["torch_scaled_mm_s"] = timed(lambda i: torch._scaled_mm(a, bt, scale_a=sa, scale_b=sb, out_dtype=torch.bfloat16), 20)
                row["ratio_vs_scaled_mm"] = row["torch_scaled_mm_s"] / row["lowbit_bf16_s"]
            except RuntimeError as e:  # a peer's limit (e.g. m not a multiple of 16) is a fact to report
                row["torch_scaled_mm_error"] = str(e).splitlines()[0]
            out(row)


def w4a16_cases(lb, shapes, ms, roof, out):
    so = lb.so
    group = 128
    for n, k in shapes:
        packed0, nbytes, w_deq = w4a16_weights(lb, n, k, group)
        w16 = w_deq.half()
        for m in (m for m in ms if m <= W4A16_MAX_M):
            x = torch.randn(m, k, device="cuda").half()
            y32 = torch.empty((m, n), dtype=torch.float32, device="cuda")
            y16 = torch.empty((m, n), dtype=torch.float16, device="cuda")
            count = copies_for(nbytes, m)
            packs = [packed0] + [packed0.clone() for _ in range(count - 1)]
            w16s = [w16] + [w16.clone() for _ in range(min(count, max(1, (1 << 30) // w16.numel() // 2 + 1)) - 1)]

            def run(i, y=y32, dtype=C["LB_DTYPE_F32"]):
                ok(so, so.lb_w4a16_gemm(0, lb.stream(), x.data_ptr(), C["LB_DTYPE_F16"], packs[i % len(packs)].data_ptr(), None,
                                        y.data_ptr(), dtype, m, n, k, group, 0), "lb_w4a16_gemm")

            run(0)
            torch.cuda.synchronize()
            ref = x.float() @ w_deq.t()
            err = (y32 - ref).abs().max().item() / max(ref.abs().max().item(), 1e-30)
            assert err < 1e-4, f"W4A16 differs from the dequantized matmul by {err:.2e} (relative to max) at m={m} n={n} k={k}"
            row = {"kernel": "w4a16", "n": n, "k": k, "m": m, "group": group, "device": torch.cuda.get_device_name(),
                   "max_rel_err_vs_f32": err, "packed_bytes": nbytes}
            row["lowbit_s"] = timed(lambda i: run(i, y16, C["LB_DTYPE_F16"]), 20)
            row["torch_fp16_s"] = timed(lambda i: torch.matmul(x, w16s[i % len(w16s)].t()), 20)
            row["speedup_vs_torch_fp16"] = row["torch_fp16_s"] / row["lowbit_s"]
            row["weight_bytes_per_s"] = nbytes / row["lowbit_s"]
            row["fraction_of_copy"] = row["weight_bytes_per_s"] / roof
            out(row)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", help="the lowbit jar (liblowbit.so inside)")
    ap.add_argument("--lib", help="liblowbit.so itself")
    ap.add_argument("--quick", action="store_true",
                    help="4096x4096, Llama's 14336x4096 and MiniLM's 1536x384 at m in {1, 16, 2048} (W8A8 and FP8 also 512), plus W8A8 and FP8 at m = n = k = 8192")
    ap.add_argument("--decode", action="store_true",
                    help="only the decode sizes (m in {1, 16}) of FP8 / W4A8 and W4A16 at 4096x4096 and 14336x4096: a quick A/B of their kernels")
    ap.add_argument("--prefill", action="store_true",
                    help="only W8A8 and FP8 at m in {512, 2048} on 4096x4096 and 14336x4096 and at m = n = k = 8192, beside "
                         "torch._int_mm / torch._scaled_mm, no variants: for a kernel chosen by the environment "
                         "(LOWBIT_CUDA_WS=1) in a process of its own")
    a = ap.parse_args()
    lb = Lowbit(load(a.jar, a.lib))
    # 14336 x 4096 (30 MB of int4 weights) in --quick too: at 4096 x 4096 (9 MB) a decode call's fixed
    # costs are a fair share of its time, so the weight-streaming goals read best on the larger shape.
    # prefill_ms: W8A8 and FP8 also at m = 512, where the FP8 goal starts (4096 columns: 128 tiles of
    # 128 x 128, the wgmma path's smallest common case; mma_sync_variant times the mma.sync kernel beside it).
    if a.decode:
        shapes, ms = SHAPES[:2], [1, 16]
    elif a.quick:
        shapes, ms = SHAPES[:2] + SHAPES[4:5], [1, 16, 2048]
    else:
        shapes, ms = SHAPES, MS
    prefill_ms = sorted(set(ms) | {512}) if not a.decode else ms
    torch.manual_seed(0)
    torch.backends.cuda.matmul.allow_tf32 = False  # the f32 references must be f32, not TF32
    roof = copy_bytes_per_s()
    print(json.dumps({"roof": "device copy (torch copy_, 1 GiB, bytes read + written per s)", "bytes_per_s": roof,
                      "device": torch.cuda.get_device_name()}), flush=True)

    def out(row):
        print(json.dumps(row), flush=True)
        keys = [k for k in ("ratio_vs_int_mm", "wgmma_speedup", "halves_speedup", "kmajor_speedup", "kmajor_kernel_speedup", "kmajor_max_err_of_abs_sum", "kmajor_exact", "kmajor_kernel_exact", "fold2_speedup", "fold4_speedup", "fold4_max_err_of_abs_sum", "lowbit_tops", "w4a4_speedup_vs_w8a8", "ratio_vs_scaled_mm", "w4a8_speedup_vs_fp8", "lowbit_tflops", "speedup_vs_torch_fp16",
                            "fraction_of_copy") if k in row]
        print(f"{row['kernel']:6} {row['n']:>6}x{row['k']:<6} m={row['m']:<5} " + "  ".join(f"{k}={row[k]:.2e}" if "err" in k else f"{k}={row[k]:.3f}" for k in keys),
              file=sys.stderr, flush=True)

    # Each family on its own: one failing check is reported and the others still run. --quick adds the
    # m = n = k = 8192 point of the FP8 goal (and W8A8's) to its three shapes.
    goal = ([(8192, 8192)], [8192]) if a.quick else ([], [])
    fp8 = ("fp8", lambda: fp8_cases(lb, shapes, prefill_ms, out))
    w4a16 = ("w4a16", lambda: w4a16_cases(lb, shapes, ms, roof, out))
    if a.prefill:
        families = [(name, lambda cases=cases, shapes=shapes, ms=ms: cases(lb, shapes, ms, out, extras=False))
                    for shapes, ms in ((SHAPES[:2], [512, 2048]), ([(8192, 8192)], [8192]))
                    for name, cases in (("w8a8", w8a8_cases), ("fp8", fp8_cases))]
    elif a.decode:
        families = [fp8, w4a16]
    else:
        families = [("w8a8", lambda: w8a8_cases(lb, shapes, prefill_ms, out)), fp8,
                    ("w8a8", lambda: w8a8_cases(lb, *goal, out)), ("fp8", lambda: fp8_cases(lb, *goal, out)), w4a16]
    for name, run in families:
        try:
            run()
        except (AssertionError, RuntimeError) as e:
            print(json.dumps({"kernel": name, "error": str(e)}), flush=True)
            print(f"{name}: FAILED: {e}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
