package dev.lowbit.gemm;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * W8A8 matmul (SmoothQuant / QuaRot style): {@code out[m, n] = (a · wᵀ) · aScale[m] · wScale[n] (+ bias[n])} with
 * int8 activations {@code a [m, k]} (one F32 scale per row = per token), int8 weights {@code w [n, k]} (one F32
 * scale per row = per output channel) and exact int32 accumulation. Weights are prepacked once into the kernel's
 * layout ({@link #prepack}); see {@code lowbit.h} for the layout and the epilogue's rounding order.
 *
 * <p>Runs where its operands are: on the CPU (AVX-512 VNNI kernel, VPDPBUSD; scalar fallback on other CPUs) or on a
 * CUDA device (int8 tensor cores, sm_80+; prepacking stages the weights through host memory once). The same packed
 * bytes serve both; results agree bit for bit (exact int32 sums, the same epilogue operations). {@code k <= 65536}.
 */
public final class W8A8 {
    private static final PerRowIntGemm GEMM = new PerRowIntGemm(DType.I8, Native::w8a8PackedBytes, Native::w8a8Prepack,
            Native::w8a8Gemm);

    private W8A8() {}

    /** Prepacked int8 weights {@code [n, k]} and their per-row F32 scales ({@code [n, 1]}). */
    public record Weights(Tensor packed, Tensor scales, long n, long k) {
        public Weights {
            Objects.requireNonNull(packed, "packed");
            Objects.requireNonNull(scales, "scales");
        }

        /** These weights on {@code device} (the packed bytes are the same on every device), owned by {@code arena}. */
        public Weights to(Device device, Arena arena) {
            return new Weights(packed.to(device, arena), scales.to(device, arena), n, k);
        }

        PerRowIntGemm.Packed packedForm() {
            return new PerRowIntGemm.Packed(packed, scales, n, k);
        }
    }

    /** Prepacks weights quantized as {@code QuantFormat.int8(Granularity.PER_ROW)} (F32 scales). */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        checkFormat("weights", w);
        return prepack(w.q(), w.scales(), arena);
    }

    /** Prepacks int8 weights {@code q [n, k]} with F32 scales {@code [n]} or {@code [n, 1]}; the scales are copied. */
    public static Weights prepack(Tensor q, Tensor scales, Arena arena) {
        PerRowIntGemm.Packed p = GEMM.prepack(q, scales, arena);
        return new Weights(p.packed(), p.scales(), p.n(), p.k());
    }

    /** {@code out = dequantized(a · wᵀ) (+ bias)}; a is int8 per row (QuantFormat.int8(PER_ROW)), out F32, F16 or BF16. */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out) {
        matmul(a, w, bias, out, null);
    }

    /** As {@link #matmul(Quantized, Weights, Tensor, Tensor)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out, CudaStream stream) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        checkFormat("activations", a);
        GEMM.matmul(a, w.packedForm(), bias, out, stream);
    }

    /** A new {@code [m, n]} tensor of {@code dtype} holding {@link #matmul(Quantized, Weights, Tensor, Tensor)}. */
    public static Tensor matmul(Quantized a, Weights w, Tensor bias, DType dtype, Arena arena) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Tensor out = Tensor.allocate(arena, dtype, a.q().device(), a.q().dim(0), w.n());
        matmul(a, w, bias, out);
        return out;
    }

    /** The exact int32 accumulators {@code out[i][j] = Σ_l a[i][l] · w[j][l]} (no scales): int8 {@code a [m, k]}, I32 {@code out [m, n]}. */
    public static void matmulInt32(Tensor a, Weights w, Tensor out) {
        Objects.requireNonNull(w, "w");
        GEMM.matmulInt32(a, w.packedForm(), out);
    }

    /** int8 multiply-accumulates per second VPDPBUSD reaches on all lowbit threads: the roof (0 unless the AVX512
     *  variant is in use on a CPU with AVX512_VNNI). */
    public static double int8PeakMacsPerSecond(int millis) {
        return Native.cpuInt8Peak(millis);
    }

    private static void checkFormat(String what, Quantized q) {
        if (q.format().qtype() != DType.I8 || !q.format().granularity().equals(Granularity.PER_ROW) || q.format().scaleDtype() != DType.F32) {
            throw new IllegalArgumentException("W8A8 " + what + " must be int8 with one F32 scale per row (QuantFormat.int8(PER_ROW)), got "
                    + q.format());
        }
    }
}
