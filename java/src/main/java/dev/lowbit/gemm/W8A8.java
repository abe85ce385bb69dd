package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * W8A8 matmul (SmoothQuant / QuaRot style): {@code out[m, n] = (a · wᵀ) · aScale[m] · wScale[n] (+ bias[n])} with
 * int8 activations {@code a [m, k]} (one F32 scale per row = per token), int8 weights {@code w [n, k]} (one F32
 * scale per row = per output channel) and exact int32 accumulation. Weights are prepacked once into the kernel's
 * layout ({@link #prepack}); see {@code lowbit.h} for the layout and the epilogue's rounding order.
 *
 * <p>CPU only so far: AVX-512 VNNI kernel (VPDPBUSD), scalar fallback on other CPUs. {@code k <= 65536}.
 */
public final class W8A8 {
    private static final long MAX_K = 65536;
    private static final String KERNEL = "W8A8";

    private W8A8() {}

    /** Prepacked int8 weights {@code [n, k]} and their per-row F32 scales ({@code [n, 1]}). */
    public record Weights(Tensor packed, Tensor scales, long n, long k) {
        public Weights {
            Objects.requireNonNull(packed, "packed");
            Objects.requireNonNull(scales, "scales");
        }
    }

    /** Prepacks weights quantized as {@code QuantFormat.int8(Granularity.PER_ROW)} (F32 scales). */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        if (w.format().qtype() != DType.I8 || !w.format().granularity().equals(Granularity.PER_ROW)
                || w.format().scaleDtype() != DType.F32) {
            throw new IllegalArgumentException("W8A8 weights must be int8 with one F32 scale per row (QuantFormat.int8(PER_ROW)), got "
                    + w.format());
        }
        return prepack(w.q(), w.scales(), arena);
    }

    /** Prepacks int8 weights {@code q [n, k]} with F32 scales {@code [n]} or {@code [n, 1]}; the scales are copied. */
    public static Weights prepack(Tensor q, Tensor scales, Arena arena) {
        Objects.requireNonNull(arena, "arena");
        long[] nk = matrixOf("w", q, DType.I8);
        long n = nk[0], k = nk[1];
        checkK(k);
        checkScales("w scales", scales, n);
        Checks.sameDevice("w", q, "w scales", scales);
        long bytes = Native.w8a8PackedBytes(n, k);
        if (bytes < 0) throw new IllegalArgumentException("w of shape [" + n + ", " + k + "] is too large to pack");
        Tensor packed = Tensor.allocate(arena, DType.U8, Device.CPU, bytes);
        Native.w8a8Prepack(Device.CPU.index(), q.segment(), n, k, packed.segment());
        Tensor s = Tensor.allocate(arena, DType.F32, Device.CPU, n, 1);
        s.segment().copyFrom(scales.segment());
        return new Weights(packed, s, n, k);
    }

    /** {@code out = dequantized(a · wᵀ) (+ bias)}; a is int8 per row (QuantFormat.int8(PER_ROW)), out F32, F16 or BF16. */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        if (a.format().qtype() != DType.I8 || !a.format().granularity().equals(Granularity.PER_ROW)
                || a.format().scaleDtype() != DType.F32) {
            throw new IllegalArgumentException("W8A8 activations must be int8 with one F32 scale per row (QuantFormat.int8(PER_ROW)), got "
                    + a.format());
        }
        long m = checkA(a.q(), w);
        checkScales("a scales", a.scales(), m);
        checkOut(out, m, w.n(), DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(KERNEL, bias, w.n());
        Native.w8a8Gemm(Device.CPU.index(), MemorySegment.NULL, a.q().segment(), a.scales().segment(), w.packed().segment(),
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

    /** The exact int32 accumulators {@code out[i][j] = Σ_l a[i][l] · w[j][l]} (no scales): int8 {@code a [m, k]}, I32 {@code out [m, n]}. */
    public static void matmulInt32(Tensor a, Weights w, Tensor out) {
        Objects.requireNonNull(w, "w");
        long m = checkA(a, w);
        checkOut(out, m, w.n(), DType.I32);
        Checks.noOverlap("a", a, "out", out, false);
        Native.w8a8Gemm(Device.CPU.index(), MemorySegment.NULL, a.segment(), MemorySegment.NULL, w.packed().segment(),
                MemorySegment.NULL, MemorySegment.NULL, out.segment(), DType.I32.code(), m, w.n(), w.k());
    }

    /** int8 multiply-accumulates per second VPDPBUSD reaches on all lowbit threads (0 without AVX-512 VNNI): the roof. */
    public static double int8PeakMacsPerSecond(int millis) {
        return Native.cpuInt8Peak(millis);
    }

    // ------------------------------------------------------------------ helpers

    private static long checkA(Tensor a, Weights w) {
        Checks.live("w packed", w.packed());
        Checks.live("w scales", w.scales());
        long[] mk = matrixOf("a", a, DType.I8);
        if (mk[1] != w.k()) throw new IllegalArgumentException("a has k = " + mk[1] + " but the weights have k = " + w.k());
        return mk[0];
    }

    private static long[] matrixOf(String name, Tensor t, DType dtype) {
        return GemmChecks.matrix(KERNEL, name, t, dtype);
    }

    private static void checkK(long k) {
        if (k > MAX_K) throw new IllegalArgumentException("k = " + k + " is above " + MAX_K + " (int32 accumulators could overflow)");
    }

    private static void checkScales(String name, Tensor s, long rows) {
        GemmChecks.rowScales(KERNEL, name, s, rows);
    }

    private static void checkOut(Tensor out, long m, long n, DType... dtypes) {
        GemmChecks.output(KERNEL, out, "out", m, n, dtypes);
    }

    private static void cpuOnly(String name, Tensor t) {
        GemmChecks.cpuOnly(KERNEL, name, t);
    }
}
