package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * W4A16 matmul: {@code y[m, n] = x[m, k] · dequant(w)[n, k]ᵀ (+ bias[n])} with 4-bit weights (I4, or U4 with zero
 * points; groups along k of an even size, or one per row; F32/F16/BF16 scales — any int4 {@link Quantized} whose
 * blocks lie within a row) and F32/F16/BF16 activations, f32 arithmetic in the order {@code lowbit.h} documents
 * (every CPU variant gives the same bits). Weights are prepacked once ({@link #prepack}).
 *
 * <p>Two ways to treat the activations ({@link Activations}): {@code EXACT} widens the codes to f32 and multiplies
 * with the activations as given; {@code INT8} (for decode speed, like llama.cpp's Q4 × Q8) first quantizes each row
 * of x to int8 in blocks of 32 (as {@code Quantizer} does with {@code QuantFormat.int8(group(32))}) and runs the
 * integer products on VPDPBUSD — less exact, needs a weight group size that is a multiple of 32.
 *
 * <p>Runs where its operands are: on the CPU (AVX-512, AVX2, scalar) or on a CUDA device (EXACT activations only;
 * a CUDA-core kernel for decode-sized m — correct for any m, not yet fast for large m; f32 arithmetic in another
 * order than the CPU's, so the two agree to f32 rounding, not bit for bit). Prepacking on CUDA stages the weights
 * through host memory once; the packed bytes are the same on both devices.
 */
public final class W4A16 {
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};

    private W4A16() {}

    /** How the activations enter the products (see the class comment). */
    public enum Activations { EXACT, INT8 }

    /** Prepacked weights {@code [n, k]} with groups of {@code group} along k. */
    public record Weights(Tensor packed, long n, long k, long group) {
        public Weights {
            Objects.requireNonNull(packed, "packed");
        }

        /** These weights on {@code device} (the packed bytes are the same on every device), owned by {@code arena}. */
        public Weights to(Device device, Arena arena) {
            return new Weights(packed.to(device, arena), n, k, group);
        }
    }

    /** Prepacks int4 weights (I4 or U4; blocks {@code 1 × g} along k, g even) for {@link #matmul}. */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(arena, "arena");
        DType qt = w.format().qtype();
        if (qt != DType.I4 && qt != DType.U4) throw new IllegalArgumentException("W4A16 weights must be I4 or U4, got " + qt);
        Device device = GemmChecks.device("w", w.q());
        long n = w.rows(), k = w.cols();
        Native.QuantParams qp = Quantizer.checkedParams(w, n, k, w.q());
        if (qp.blockRows() != 1) {
            throw new IllegalArgumentException("W4A16 weight groups must lie along k (per row or per group), got " + w.format().granularity());
        }
        long group = qp.blockCols();
        long bytes = Native.w4a16PackedBytes(n, k, group);
        if (bytes < 0) throw new IllegalArgumentException("W4A16 needs an even group size, got " + group + " for k = " + k);
        Tensor packed = Tensor.allocate(arena, DType.U8, device, bytes);
        Native.w4a16Prepack(device.index(), qp, w.q().segment(), w.scales().segment(),
                w.zeros() == null ? MemorySegment.NULL : w.zeros().segment(), n, k, packed.segment(), bytes);
        return new Weights(packed, n, k, group);
    }

    /** {@code y = x · dequant(w)ᵀ (+ bias)}: x {@code [m, k]}, y {@code [m, n]}, both F32, F16 or BF16; bias F32 {@code [n]} or null. */
    public static void matmul(Tensor x, Weights w, Tensor bias, Tensor y) {
        matmul(x, w, bias, y, Activations.EXACT);
    }

    /** {@link #matmul(Tensor, Weights, Tensor, Tensor)} with the activations treated as {@code activations} says. */
    public static void matmul(Tensor x, Weights w, Tensor bias, Tensor y, Activations activations) {
        matmul(x, w, bias, y, activations, null);
    }

    /** As {@link #matmul(Tensor, Weights, Tensor, Tensor, Activations)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void matmul(Tensor x, Weights w, Tensor bias, Tensor y, Activations activations, CudaStream stream) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(activations, "activations");
        if (activations == Activations.INT8 && w.group() % 32 != 0) {
            throw new IllegalArgumentException("INT8 activations need a weight group size that is a multiple of 32, got " + w.group());
        }
        Checks.live("w packed", w.packed());
        Device device = GemmChecks.device("x", x);
        GemmChecks.on("w packed", w.packed(), device);
        if (activations == Activations.INT8 && device.isCuda()) {
            throw new IllegalArgumentException("INT8 activations are a CPU decode path (VPDPBUSD); on " + device + " use EXACT");
        }
        Checks.dtype("x", x, FLOATS);
        Checks.contiguous("x", x);
        if (x.rank() != 2 || x.dim(1) != w.k()) {
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + ", expected [m, " + w.k() + "]");
        }
        long m = x.dim(0);
        if (m == 0) throw new IllegalArgumentException("x is empty: shape " + Arrays.toString(x.shape()));
        GemmChecks.output(y, "y", m, w.n(), device, FLOATS);
        Checks.noOverlap("x", x, "y", y, false);
        MemorySegment biasSeg = GemmChecks.bias(bias, w.n(), device);
        Native.w4a16Gemm(device.index(), Checks.stream(stream, device), x.segment(), x.dtype().code(), w.packed().segment(), biasSeg,
                y.segment(), y.dtype().code(), m, w.n(), w.k(), w.group(),
                activations == Activations.INT8 ? Native.W4A16_INT8_ACTIVATIONS : 0);
    }

    /** A new {@code [m, n]} tensor of {@code dtype} holding {@link #matmul(Tensor, Weights, Tensor, Tensor)}. */
    public static Tensor matmul(Tensor x, Weights w, Tensor bias, DType dtype, Arena arena) {
        Checks.live("x", x);
        Objects.requireNonNull(w, "w");
        Tensor y = Tensor.allocate(arena, dtype, x.device(), x.dim(0), w.n());
        matmul(x, w, bias, y);
        return y;
    }
}
