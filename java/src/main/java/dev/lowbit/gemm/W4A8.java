package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * W4A8 (ZeroQuant-FP style): FP8 activations {@code a [m, k]} (E4M3 or E5M2, one F32 scale per row = per token)
 * times int4 weights prepacked by {@link W4A16#prepack} (the same packed weights serve W4A16 and W4A8), f32
 * accumulation, output F32, F16 or BF16. Per output: {@code Σ_g (dot_g − zero·Σa_g)·scale_g}, then × the row's scale
 * (+ bias); see {@code lowbit.h} ("gemm, W4A8"). Codes and fp8 values are exact in bf16, so the CPU runs the FP8
 * GEMM's VDPBF16PS kernel with one k block per weight group. On a CUDA device (compute capability 8.9+, weight groups
 * a multiple of 32; otherwise a {@code LowbitException} UNSUPPORTED) the codes enter fp8 tensor cores as u − 8 and
 * each group is folded in f32; the two agree to accumulation tolerance.
 */
public final class W4A8 {

    private W4A8() {}

    /** {@code out = (a · dequant(w)ᵀ) (+ bias)}; a fp8 per row with F32 scales, out {@code [m, n]} F32, F16 or BF16. */
    public static void matmul(Quantized a, W4A16.Weights w, Tensor bias, Tensor out) {
        matmul(a, w, bias, out, null);
    }

    /** As {@link #matmul(Quantized, W4A16.Weights, Tensor, Tensor)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void matmul(Quantized a, W4A16.Weights w, Tensor bias, Tensor out, CudaStream stream) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Checks.live("w packed", w.packed());
        DType t = a.format().qtype();
        if (t != DType.FP8_E4M3 && t != DType.FP8_E5M2) {
            throw new IllegalArgumentException("W4A8 activations must be FP8_E4M3 or FP8_E5M2, got " + a.format());
        }
        Device device = GemmChecks.device("a", a.q());
        GemmChecks.on("w packed", w.packed(), device);
        long[] mk = GemmChecks.matrix("a", a.q(), t, device);
        long m = mk[0];
        if (mk[1] != w.k()) throw new IllegalArgumentException("a has k = " + mk[1] + " but the weights have k = " + w.k());
        if (a.format().scaleDtype() != DType.F32 || !Arrays.equals(a.format().granularity().resolve(m, w.k()), new long[] {1, w.k()})) {
            throw new IllegalArgumentException("W4A8 activations need one F32 scale per row (Granularity.PER_ROW), got "
                    + a.format().granularity() + " with " + a.format().scaleDtype() + " scales");
        }
        Tensor scales = a.scales();
        GemmChecks.rowScales("a scales", scales, m, device);
        GemmChecks.output(out, "out", m, w.n(), device, DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(bias, w.n(), device);
        Native.w4a8Gemm(device.index(), Checks.stream(stream, device), a.q().segment(), t.code(), scales.segment(), w.packed().segment(), biasSeg,
                out.segment(), out.dtype().code(), m, w.n(), w.k(), w.group());
    }

    /** A new {@code [m, n]} tensor of {@code dtype} holding {@link #matmul(Quantized, W4A16.Weights, Tensor, Tensor)}. */
    public static Tensor matmul(Quantized a, W4A16.Weights w, Tensor bias, DType dtype, Arena arena) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Tensor out = Tensor.allocate(arena, dtype, a.q().device(), a.q().dim(0), w.n());
        matmul(a, w, bias, out);
        return out;
    }

    /** The activation format W4A8 expects from {@code Quantizer} or the fused rotate+quantize: E4M3, one scale per row. */
    public static QuantFormat activationFormat() {
        return QuantFormat.fp8E4M3(Granularity.PER_ROW);
    }
}
