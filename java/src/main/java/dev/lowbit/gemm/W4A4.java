package dev.lowbit.gemm;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.util.Objects;

/**
 * W4A4 matmul (QuaRot style): {@code out[m, n] = (a · wᵀ) · aScale[m] · wScale[n] (+ bias[n])} with int4
 * activations {@code a [m, k]} and int4 weights {@code w [n, k]} ({@link #FORMAT}: I4, one F32 scale per row) and
 * exact int32 accumulation. Activations usually come from {@code Hadamard.rotateQuantize} with {@link #FORMAT}, the
 * weights from rotating them offline ({@code Hadamard.rotateWeights}) and quantizing. Weights are prepacked once and
 * stay 4-bit in memory; see {@code lowbit.h} ("gemm, W4A4").
 *
 * <p>Runs where its operands are. CPU: the nibbles widen to int8 per cache-sized chunk and run on the W8A8 VPDPBUSD
 * kernel (AVX-512 VNNI; scalar elsewhere). CUDA (sm_80+): the W8A8 tensor-core kernel, both operands widened to int8
 * as each k stage is loaded; the same bits as the CPU. {@code k} even (I4 tensors have an even last dimension) and
 * {@code <= 65536}.
 */
public final class W4A4 {
    /** The operand format: symmetric int4 (codes −8..7), one F32 scale per row. */
    public static final QuantFormat FORMAT = QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32);

    private static final PerRowIntGemm GEMM = new PerRowIntGemm(DType.I4, Native::w4a4PackedBytes, Native::w4a4Prepack,
            Native::w4a4Gemm);

    private W4A4() {}

    /** Prepacked int4 weights {@code [n, k]} and their per-row F32 scales ({@code [n, 1]}). */
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

    /** Prepacks weights quantized as {@link #FORMAT} (restricted range allowed); the scales are copied. */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        checkFormat("weights", w);
        PerRowIntGemm.Packed p = GEMM.prepack(w.q(), w.scales(), arena);
        return new Weights(p.packed(), p.scales(), p.n(), p.k());
    }

    /** {@code out = dequantized(a · wᵀ) (+ bias)}; a in {@link #FORMAT}, out F32, F16 or BF16, bias F32 {@code [n]} or null. */
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

    /** The exact int32 accumulators {@code out[i][j] = Σ_l a[i][l] · w[j][l]}: I4 {@code a [m, k]}, I32 {@code out [m, n]}. */
    public static void matmulInt32(Tensor a, Weights w, Tensor out) {
        Objects.requireNonNull(w, "w");
        GEMM.matmulInt32(a, w.packedForm(), out);
    }

    private static void checkFormat(String what, Quantized q) {
        QuantFormat f = q.format();
        if (f.qtype() != DType.I4 || !f.granularity().equals(Granularity.PER_ROW) || f.scaleDtype() != DType.F32) {
            throw new IllegalArgumentException("W4A4 " + what + " must be I4 with one F32 scale per row (W4A4.FORMAT), got " + f);
        }
    }
}
