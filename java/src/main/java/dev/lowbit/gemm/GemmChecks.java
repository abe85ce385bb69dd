package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Argument checks the matmul classes share; each message names the argument and what was expected. A call runs on
 * the device of its first operand ({@link #device}); every other operand must be on that device too.
 */
final class GemmChecks {
    private GemmChecks() {}

    /** The device a call runs on: that of its first operand {@code t} (every GEMM has a CPU and a CUDA backend). */
    static Device device(String name, Tensor t) {
        Checks.live(name, t);
        return t.device();
    }

    /** {@code t} lives on {@code device}, the device the call runs on. */
    static void on(String name, Tensor t, Device device) {
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + " but this call runs on " + device
                    + " (the device of its first operand): all operands must be on one device");
        }
    }

    /** A live, contiguous, writable {@code [m, n]} output of one of {@code dtypes} on {@code device}. */
    static void output(Tensor out, String name, long m, long n, Device device, DType... dtypes) {
        Checks.live(name, out);
        Checks.dtype(name, out, dtypes);
        Checks.contiguous(name, out);
        Checks.writable(name, out);
        on(name, out, device);
        if (out.rank() != 2 || out.dim(0) != m || out.dim(1) != n) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(out.shape()) + ", expected [" + m + ", " + n + "]");
        }
    }

    /** {rows, cols} of a live, contiguous, non-empty, rank-2 tensor of dtype on {@code device}. */
    static long[] matrix(String name, Tensor t, DType dtype, Device device) {
        Checks.live(name, t);
        Checks.dtype(name, t, dtype);
        Checks.contiguous(name, t);
        on(name, t, device);
        if (t.rank() != 2) throw new IllegalArgumentException(name + " must be a matrix [rows, k], got shape " + Arrays.toString(t.shape()));
        if (t.dim(0) == 0 || t.dim(1) == 0) throw new IllegalArgumentException(name + " is empty: shape " + Arrays.toString(t.shape()));
        return new long[] {t.dim(0), t.dim(1)};
    }

    /** F32 scales, one per row: a live, contiguous tensor on {@code device} of shape {@code [rows]} or {@code [rows, 1]}. */
    static void rowScales(String name, Tensor s, long rows, Device device) {
        Checks.live(name, s);
        Checks.dtype(name, s, DType.F32);
        Checks.contiguous(name, s);
        on(name, s, device);
        if (s.numel() != rows || (s.rank() == 2 && s.dim(1) != 1) || s.rank() > 2) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(s.shape()) + ", expected [" + rows + "] or [" + rows + ", 1]");
        }
    }

    /** NULL, or the segment of a live, contiguous F32 bias of n elements on {@code device}. */
    static MemorySegment bias(Tensor bias, long n, Device device) {
        if (bias == null) return MemorySegment.NULL;
        Checks.live("bias", bias);
        Checks.dtype("bias", bias, DType.F32);
        Checks.contiguous("bias", bias);
        on("bias", bias, device);
        if (bias.numel() != n) throw new IllegalArgumentException("bias has shape " + Arrays.toString(bias.shape()) + ", expected [" + n + "]");
        return bias.segment();
    }
}
