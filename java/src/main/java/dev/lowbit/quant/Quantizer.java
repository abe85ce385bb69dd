package dev.lowbit.quant;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

/**
 * Quantize and dequantize on the CPU or a CUDA device. A tensor of any rank is treated as the matrix
 * {@code [product of all but the last dimension, last dimension]}. Scales come from each block's absmax
 * (or min/max for U4), round-to-nearest-even codes; see {@link QuantFormat} and {@code docs/formats.md}.
 * NaN or Inf input, or a scale that overflows its dtype, raises {@link dev.lowbit.LowbitException}.
 */
public final class Quantizer {
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};

    private Quantizer() {}

    /** Quantizes {@code x} into new tensors (on x's device) owned by {@code arena}. */
    public static Quantized quantize(Tensor x, QuantFormat format, Arena arena) {
        Checks.live("x", x);
        Objects.requireNonNull(format, "format");
        long[] m = matrix(x);
        long[] block = format.granularity().resolve(m[0], m[1]);
        checkPacked(format, m[1]);
        Quantized out = allocate(format, m[0], m[1], block, x.device(), arena);
        quantize(x, out, null);
        return out;
    }

    /**
     * Quantizes {@code x} into {@code out}, whose tensors must have the shapes and dtypes of {@code out.format()}. With a
     * {@code stream} the work is queued and the checks of x (NaN/Inf, overflowing scales) are reported by
     * {@link CudaStream#synchronize()}; without one, a bad x throws here.
     */
    public static void quantize(Tensor x, Quantized out, CudaStream stream) {
        Checks.live("x", x);
        Checks.dtype("x", x, FLOATS);
        Checks.contiguous("x", x);
        long[] m = matrix(x);
        long[] block = checkOutputs(out, m[0], m[1], x);
        Checks.writable("q", out.q());
        Checks.writable("scales", out.scales());
        if (out.zeros() != null) Checks.writable("zeros", out.zeros());
        var s = Checks.stream(stream, x.device());
        Native.quantize(x.device().index(), s, params(out.format(), block), x.segment(), x.dtype().code(), m[0], m[1],
                out.q().segment(), out.scales().segment(), zerosSegment(out));
    }

    /** Dequantizes into {@code y} (F32, F16 or BF16; {@code [rows, cols]} or any shape with that matrix view). */
    public static void dequantize(Quantized in, Tensor y) {
        dequantize(in, y, null);
    }

    public static void dequantize(Quantized in, Tensor y, CudaStream stream) {
        Objects.requireNonNull(in, "in");
        Checks.live("y", y);
        Checks.dtype("y", y, FLOATS);
        Checks.contiguous("y", y);
        Checks.writable("y", y);
        long[] m = matrix(y);
        long[] block = checkOutputs(in, m[0], m[1], y);
        var s = Checks.stream(stream, y.device());
        Native.dequantize(y.device().index(), s, params(in.format(), block), in.q().segment(), in.scales().segment(),
                zerosSegment(in), m[0], m[1], y.segment(), y.dtype().code());
    }

    /** Dequantizes into a new {@code [rows, cols]} tensor of {@code dtype} on the codes' device. */
    public static Tensor dequantize(Quantized in, DType dtype, Arena arena) {
        Tensor y = Tensor.allocate(arena, dtype, in.q().device(), in.rows(), in.cols());
        dequantize(in, y);
        return y;
    }

    /**
     * New, uninitialised {@code q}/{@code scales}/{@code zeros} for a {@code [rows, cols]} matrix in {@code format}
     * on {@code device}, owned by {@code arena}.
     */
    public static Quantized allocate(QuantFormat format, long rows, long cols, Device device, Arena arena) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(device, "device");
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("rows and cols must be > 0, got " + rows + " x " + cols);
        checkPacked(format, cols);
        long[] block = format.granularity().resolve(rows, cols);
        return allocate(format, rows, cols, block, device, arena);
    }

    /**
     * For kernels of other families that write quantized output themselves (the fused rotate+quantize): checks
     * that {@code out} holds a {@code [rows, cols]} matrix on {@code like}'s device and is writable, and returns
     * the native parameters.
     */
    public static Native.QuantParams checkedParams(Quantized out, long rows, long cols, Tensor like) {
        long[] block = checkOutputs(out, rows, cols, like);
        Checks.writable("q", out.q());
        Checks.writable("scales", out.scales());
        if (out.zeros() != null) Checks.writable("zeros", out.zeros());
        return params(out.format(), block);
    }

    // ------------------------------------------------------------------ helpers

    private static long[] matrix(Tensor t) {
        long[] shape = t.shape();
        long cols = shape[shape.length - 1];
        long rows = t.numel() / Math.max(cols, 1);
        if (rows == 0 || cols == 0) throw new IllegalArgumentException("cannot quantize an empty tensor of shape " + Arrays.toString(shape));
        return new long[] {rows, cols};
    }

    private static void checkPacked(QuantFormat f, long cols) {
        if (f.qtype().isPacked() && cols % 2 != 0) {
            throw new IllegalArgumentException(f.qtype() + " packs two values per byte along a row, so cols must be even, got " + cols);
        }
    }

    private static Quantized allocate(QuantFormat f, long rows, long cols, long[] block, Device device, Arena arena) {
        long gr = rows / block[0], gc = cols / block[1];
        Tensor q = Tensor.allocate(arena, f.qtype(), device, rows, cols);
        Tensor scales = Tensor.allocate(arena, f.scaleDtype(), device, gr, gc);
        Tensor zeros = f.zeroDtype() == null ? null
                : Tensor.allocate(arena, f.zeroDtype(), device, gr, zeroCols(f, gc));
        return new Quantized(f, q, scales, zeros);
    }

    /** Checks q/scales/zeros against the format and a [rows, cols] matrix on `other`'s device; returns the block. */
    private static long[] checkOutputs(Quantized qz, long rows, long cols, Tensor other) {
        Objects.requireNonNull(qz, "quantized");
        QuantFormat f = qz.format();
        checkPacked(f, cols);
        long[] block = f.granularity().resolve(rows, cols);
        long gr = rows / block[0], gc = cols / block[1];
        expect("q", qz.q(), f.qtype(), other, rows, cols);
        expect("scales", qz.scales(), f.scaleDtype(), other, gr, gc);
        if (f.zeroDtype() != null) {
            if (qz.zeros() == null) throw new IllegalArgumentException("zeros is null but " + f.qtype() + " needs zero points");
            expect("zeros", qz.zeros(), f.zeroDtype(), other, gr, zeroCols(f, gc));
        } else if (qz.zeros() != null) {
            throw new IllegalArgumentException("zeros must be null for " + f.qtype());
        }
        return block;
    }

    /** Columns of the zeros tensor for a scale grid `gc` wide: packed U4 rows are padded to whole bytes. */
    private static long zeroCols(QuantFormat f, long gc) {
        return f.zeroDtype() == DType.U4 ? (gc + 1) / 2 * 2 : gc;
    }

    private static void expect(String name, Tensor t, DType dtype, Tensor other, long rows, long cols) {
        Checks.live(name, t);
        Checks.dtype(name, t, dtype);
        Checks.contiguous(name, t);
        Checks.sameDevice(name, t, "the data", other);
        if (t.numel() != rows * cols || t.dim(t.rank() - 1) != cols) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape()) + ", expected [" + rows + ", " + cols + "]");
        }
    }

    private static MemorySegment zerosSegment(Quantized q) {
        return q.zeros() == null ? MemorySegment.NULL : q.zeros().segment();
    }

    static Native.QuantParams params(QuantFormat f, long[] block) {
        int flags = (f.restrictRange() ? Native.QUANT_RESTRICT_RANGE : 0) | (f.mseClip() ? Native.QUANT_MSE_CLIP : 0)
                | (f.pow2Scales() ? Native.QUANT_POW2_SCALE : 0);
        return new Native.QuantParams(f.qtype().code(), f.scaleDtype().code(), f.zeroDtype() == null ? 0 : f.zeroDtype().code(),
                flags, block[0], block[1]);
    }
}
