package dev.lowbit.hadamard;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Walsh–Hadamard rotation of the last dimension of a tensor (every row of its {@code [rows, n]} matrix view), on
 * the CPU or a CUDA device, and the fused rotate-then-quantize used for online activation quantization.
 *
 * <p>{@code n} is {@code 2^k} (Sylvester matrix) or {@code m * 2^k} with a core order {@code m} such as 12, 20,
 * 28, 36, 52, 60, 108, 140, 156 or 172 ({@code H_n = H_m ⊗ H_(2^k)}); {@link #supportedOrders()} lists them all and
 * {@link #matrix(int)} returns any {@code H_n} explicitly. Arithmetic is f32; every backend and CPU variant gives
 * the same bits. See {@code lowbit.h} and {@code docs/hadamard.md}.
 */
public final class Hadamard {
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};
    private static final long MAX_CUDA_N = 32768;

    private Hadamard() {}

    /** {@code n = m * 2^k}. */
    public record Factorization(long m, int k) {}

    /** The factorisation of {@code n}; {@link IllegalArgumentException} listing the supported sizes if there is none. */
    public static Factorization factor(long n) {
        try {
            long[] mk = Native.hadamardFactor(n);
            return new Factorization(mk[0], (int) mk[1]);
        } catch (LowbitException e) {
            if (e.status() != LowbitException.Status.UNSUPPORTED) throw e;
            throw new IllegalArgumentException(e.getMessage().replaceFirst("^lb_hadamard_factor: ", ""), e);
        }
    }

    public static boolean isSupported(long n) {
        try {
            Native.hadamardFactor(n);
            return true;
        } catch (LowbitException e) {
            if (e.status() != LowbitException.Status.UNSUPPORTED) throw e;
            return false;
        }
    }

    /** The core orders {@code m > 1}, e.g. {@code "12, 20, 28, ..."}. */
    public static String supportedOrders() {
        return Native.hadamardOrders();
    }

    /** {@code H_n} (entries +1/-1, row-major, no scale, no signs), for {@code n <= 8192}. */
    public static byte[] matrix(int n) {
        factor(n);
        if (n > 8192) throw new IllegalArgumentException("matrix: n must be <= 8192, got " + n);
        return Native.hadamardMatrix(n);
    }

    /** Rotates every row of {@code x} into a new tensor of x's shape, dtype and device. */
    public static Tensor rotate(Tensor x, HadamardOptions options, Arena arena) {
        Checks.live("x", x);
        Tensor y = Tensor.allocate(arena, x.dtype(), x.device(), x.shape());
        rotate(x, y, options, null);
        return y;
    }

    /** Rotates every row of {@code x} into {@code y} (same shape; any of F32/F16/BF16; {@code y == x} rotates in place). */
    public static void rotate(Tensor x, Tensor y, HadamardOptions options) {
        rotate(x, y, options, null);
    }

    public static void rotate(Tensor x, Tensor y, HadamardOptions options, CudaStream stream) {
        long[] m = checkInput(x, options);
        Checks.live("y", y);
        Checks.dtype("y", y, FLOATS);
        Checks.contiguous("y", y);
        Checks.writable("y", y);
        Checks.sameDevice("x", x, "y", y);
        if (!Arrays.equals(x.shape(), y.shape())) {
            throw new IllegalArgumentException("y has shape " + Arrays.toString(y.shape()) + ", expected x's " + Arrays.toString(x.shape()));
        }
        Checks.noOverlap("x", x, "y", y, x.dtype().bits() == y.dtype().bits());
        var s = Checks.stream(stream, x.device());
        Native.hadamardTransform(x.device().index(), s, params(m[1], options), x.segment(), x.dtype().code(), y.segment(),
                y.dtype().code(), m[0]);
    }

    /**
     * Rotates every row of {@code x} and quantizes it in the same pass: the bits of {@link #rotate} to F32
     * followed by {@link Quantizer#quantize}. The format's blocks must lie within a row (per row or per group).
     */
    public static Quantized rotateQuantize(Tensor x, HadamardOptions options, QuantFormat format, Arena arena) {
        long[] m = checkInput(x, options);
        Quantized out = Quantizer.allocate(format, m[0], m[1], x.device(), arena);
        rotateQuantize(x, options, out, null);
        return out;
    }

    /**
     * As {@link #rotateQuantize(Tensor, HadamardOptions, QuantFormat, Arena)} into {@code out}; with a {@code stream}
     * the work is queued and the checks of the rotated rows are reported by {@link CudaStream#synchronize()}.
     */
    public static void rotateQuantize(Tensor x, HadamardOptions options, Quantized out, CudaStream stream) {
        long[] m = checkInput(x, options);
        Objects.requireNonNull(out, "out");
        Native.QuantParams qp = Quantizer.checkedParams(out, m[0], m[1], x);
        if (qp.blockRows() != 1) {
            throw new IllegalArgumentException("rotateQuantize: the format's blocks must lie within a row (per row or per group), got "
                    + out.format().granularity());
        }
        var s = Checks.stream(stream, x.device());
        Native.hadamardQuantize(x.device().index(), s, params(m[1], options), qp, x.segment(), x.dtype().code(), m[0],
                out.q().segment(), out.scales().segment(),
                out.zeros() == null ? MemorySegment.NULL : out.zeros().segment());
    }

    /**
     * Offline weight rotation for {@code W x = (W Q^T)(Q x)} with {@code Q} the orthonormal rotation of
     * {@code options}: rotates every row of {@code w} ({@code [out, in]}, rotated along {@code in}) in place. Rotate
     * the activations with the same options (e.g. {@link #rotateQuantize}) and the product is unchanged.
     */
    public static void rotateWeights(Tensor w, HadamardOptions options) {
        Objects.requireNonNull(options, "options");
        if (!options.normalize() || options.inverse()) {
            throw new IllegalArgumentException("rotateWeights needs an orthonormal forward rotation (normalize, not inverse), got " + options);
        }
        rotate(w, w, options, null);
    }

    // ------------------------------------------------------------------ helpers

    /** Checks x and n; returns {rows, n}. */
    private static long[] checkInput(Tensor x, HadamardOptions options) {
        Checks.live("x", x);
        Objects.requireNonNull(options, "options");
        Checks.dtype("x", x, FLOATS);
        Checks.contiguous("x", x);
        long[] shape = x.shape();
        if (shape.length == 0) throw new IllegalArgumentException("x must have at least one dimension, got a scalar");
        long n = shape[shape.length - 1];
        long rows = n == 0 ? 0 : x.numel() / n;
        if (rows == 0) throw new IllegalArgumentException("cannot rotate an empty tensor of shape " + Arrays.toString(shape));
        factor(n);
        if (!x.device().isCpu() && n > MAX_CUDA_N) {
            throw new IllegalArgumentException("n = " + n + " is above the CUDA limit of " + MAX_CUDA_N);
        }
        return new long[] {rows, n};
    }

    private static Native.HadamardParams params(long n, HadamardOptions o) {
        int flags = (o.normalize() ? Native.HADAMARD_NORMALIZE : 0) | (o.randomSigns() ? Native.HADAMARD_RANDOM_SIGNS : 0)
                | (o.inverse() ? Native.HADAMARD_INVERSE : 0);
        return new Native.HadamardParams(n, o.seed(), flags);
    }
}
