package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * W4A4 matmul (QuaRot style): {@code out[m, n] = (a · wᵀ) · aScale[m] · wScale[n] (+ bias[n])} with int4
 * activations {@code a [m, k]} and int4 weights {@code w [n, k]} ({@link #FORMAT}: I4, one F32 scale per row) and
 * exact int32 accumulation. Activations usually come from {@code Hadamard.rotateQuantize} with {@link #FORMAT}, the
 * weights from rotating them offline ({@code Hadamard.rotateWeights}) and quantizing. Weights are prepacked once and
 * stay 4-bit in memory; see {@code lowbit.h} ("gemm, W4A4").
 *
 * <p>CPU only so far: the nibbles widen to int8 per cache-sized chunk and run on the W8A8 VPDPBUSD kernel (AVX-512
 * VNNI; scalar elsewhere). {@code k} even and {@code <= 65536}.
 */
public final class W4A4 {
    /** The operand format: symmetric int4 (codes −8..7), one F32 scale per row. */
    public static final QuantFormat FORMAT = QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32);

    private static final long MAX_K = 65536;
    private static final String KERNEL = "W4A4";

    private W4A4() {}

    /** Prepacked int4 weights {@code [n, k]} and their per-row F32 scales ({@code [n, 1]}). */
    public record Weights(Tensor packed, Tensor scales, long n, long k) {
        public Weights {
            Objects.requireNonNull(packed, "packed");
            Objects.requireNonNull(scales, "scales");
        }
    }

    /** Prepacks weights quantized as {@link #FORMAT} (restricted range allowed); the scales are copied. */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(arena, "arena");
        checkFormat("weights", w);
        long[] nk = GemmChecks.matrix(KERNEL, "w", w.q(), DType.I4);
        long n = nk[0], k = nk[1];
        checkK(k);
        GemmChecks.rowScales(KERNEL, "w scales", w.scales(), n);
        long bytes = Native.w4a4PackedBytes(n, k);
        if (bytes < 0) throw new IllegalArgumentException("w of shape [" + n + ", " + k + "] is too large to pack");
        Tensor packed = Tensor.allocate(arena, DType.U8, Device.CPU, bytes);
        Native.w4a4Prepack(Device.CPU.index(), w.q().segment(), n, k, packed.segment());
        Tensor s = Tensor.allocate(arena, DType.F32, Device.CPU, n, 1);
        s.segment().copyFrom(w.scales().segment());
        return new Weights(packed, s, n, k);
    }

    /** {@code out = dequantized(a · wᵀ) (+ bias)}; a in {@link #FORMAT}, out F32, F16 or BF16, bias F32 {@code [n]} or null. */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        checkFormat("activations", a);
        long m = checkA(a.q(), w);
        GemmChecks.rowScales(KERNEL, "a scales", a.scales(), m);
        GemmChecks.output(KERNEL, out, "out", m, w.n(), DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(KERNEL, bias, w.n());
        Native.w4a4Gemm(Device.CPU.index(), MemorySegment.NULL, a.q().segment(), a.scales().segment(), w.packed().segment(),
                w.scales().segment(), biasSeg, out.segment(), out.dtype().code(), m, w.n(), w.k());
    }

    /** A new {@code [m, n]} tensor of {@code dtype} holding {@link #matmul(Quantized, Weights, Tensor, Tensor)}. */
    public static Tensor matmul(Quantized a, Weights w, Tensor bias, DType dtype, Arena arena) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Tensor out = Tensor.allocate(arena, dtype, Device.CPU, a.q().dim(0), w.n());
        matmul(a, w, bias, out);
        return out;
    }

    /** The exact int32 accumulators {@code out[i][j] = Σ_l a[i][l] · w[j][l]}: I4 {@code a [m, k]}, I32 {@code out [m, n]}. */
    public static void matmulInt32(Tensor a, Weights w, Tensor out) {
        Objects.requireNonNull(w, "w");
        long m = checkA(a, w);
        GemmChecks.output(KERNEL, out, "out", m, w.n(), DType.I32);
        Checks.noOverlap("a", a, "out", out, false);
        Native.w4a4Gemm(Device.CPU.index(), MemorySegment.NULL, a.segment(), MemorySegment.NULL, w.packed().segment(),
                MemorySegment.NULL, MemorySegment.NULL, out.segment(), DType.I32.code(), m, w.n(), w.k());
    }

    private static void checkFormat(String what, Quantized q) {
        QuantFormat f = q.format();
        if (f.qtype() != DType.I4 || !f.granularity().equals(Granularity.PER_ROW) || f.scaleDtype() != DType.F32) {
            throw new IllegalArgumentException("W4A4 " + what + " must be I4 with one F32 scale per row (W4A4.FORMAT), got " + f);
        }
    }

    private static long checkA(Tensor a, Weights w) {
        Checks.live("w packed", w.packed());
        Checks.live("w scales", w.scales());
        long[] mk = GemmChecks.matrix(KERNEL, "a", a, DType.I4);
        if (mk[1] != w.k()) throw new IllegalArgumentException("a has k = " + mk[1] + " but the weights have k = " + w.k());
        return mk[0];
    }

    private static void checkK(long k) {
        if (k % 2 != 0) throw new IllegalArgumentException("k = " + k + " must be even (two int4 codes per byte)");
        if (k > MAX_K) throw new IllegalArgumentException("k = " + k + " is above " + MAX_K + " (int32 accumulators could overflow)");
    }
}
