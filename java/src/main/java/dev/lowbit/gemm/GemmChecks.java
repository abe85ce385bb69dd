package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.DType;
import dev.lowbit.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Argument checks the matmul classes share; each message names the argument and what was expected. */
final class GemmChecks {
    private GemmChecks() {}

    /** The GEMMs run on the CPU only so far. */
    static void cpuOnly(String kernel, String name, Tensor t) {
        if (!t.device().isCpu()) {
            throw new IllegalArgumentException(name + " is on " + t.device() + ": " + kernel + " runs on the CPU only so far (no CUDA kernel yet)");
        }
    }

    /** A live, contiguous, writable {@code [m, n]} output of one of {@code dtypes} on the CPU. */
    static void output(String kernel, Tensor out, String name, long m, long n, DType... dtypes) {
        Checks.live(name, out);
        Checks.dtype(name, out, dtypes);
        Checks.contiguous(name, out);
        Checks.writable(name, out);
        cpuOnly(kernel, name, out);
        if (out.rank() != 2 || out.dim(0) != m || out.dim(1) != n) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(out.shape()) + ", expected [" + m + ", " + n + "]");
        }
    }

    /** {rows, cols} of a live, contiguous, non-empty, rank-2 CPU tensor of dtype. */
    static long[] matrix(String kernel, String name, Tensor t, DType dtype) {
        Checks.live(name, t);
        Checks.dtype(name, t, dtype);
        Checks.contiguous(name, t);
        cpuOnly(kernel, name, t);
        if (t.rank() != 2) throw new IllegalArgumentException(name + " must be a matrix [rows, k], got shape " + Arrays.toString(t.shape()));
        if (t.dim(0) == 0 || t.dim(1) == 0) throw new IllegalArgumentException(name + " is empty: shape " + Arrays.toString(t.shape()));
        return new long[] {t.dim(0), t.dim(1)};
    }

    /** F32 scales, one per row: a live, contiguous CPU tensor of shape {@code [rows]} or {@code [rows, 1]}. */
    static void rowScales(String kernel, String name, Tensor s, long rows) {
        Checks.live(name, s);
        Checks.dtype(name, s, DType.F32);
        Checks.contiguous(name, s);
        cpuOnly(kernel, name, s);
        if (s.numel() != rows || (s.rank() == 2 && s.dim(1) != 1) || s.rank() > 2) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(s.shape()) + ", expected [" + rows + "] or [" + rows + ", 1]");
        }
    }

    /** NULL, or the segment of a live, contiguous F32 bias of n elements on the CPU. */
    static MemorySegment bias(String kernel, Tensor bias, long n) {
        if (bias == null) return MemorySegment.NULL;
        Checks.live("bias", bias);
        Checks.dtype("bias", bias, DType.F32);
        Checks.contiguous("bias", bias);
        cpuOnly(kernel, "bias", bias);
        if (bias.numel() != n) throw new IllegalArgumentException("bias has shape " + Arrays.toString(bias.shape()) + ", expected [" + n + "]");
        return bias.segment();
    }
}
