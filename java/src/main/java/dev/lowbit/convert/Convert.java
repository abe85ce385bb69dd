package dev.lowbit.convert;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

/**
 * Elementwise conversion between {@link DType#F32}, {@link DType#F16} and {@link DType#BF16} on the CPU or
 * a CUDA device. Round to nearest even; overflow gives ±Inf; subnormals are kept; NaN stays NaN (sign and
 * top payload bits kept, quiet bit set). CPU variants and CUDA produce identical bits.
 */
public final class Convert {
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16};

    private Convert() {}

    /** Writes {@code src} converted to {@code dst}'s dtype into {@code dst}; same shape, same device, both contiguous. */
    public static void convert(Tensor src, Tensor dst) {
        convert(src, dst, null);
    }

    /** Like {@link #convert(Tensor, Tensor)}, asynchronously on {@code stream} for CUDA tensors. */
    public static void convert(Tensor src, Tensor dst, CudaStream stream) {
        Checks.live("src", src);
        Checks.live("dst", dst);
        Checks.dtype("src", src, FLOATS);
        Checks.dtype("dst", dst, FLOATS);
        Checks.sameDevice("src", src, "dst", dst);
        Checks.sameShape("src", src, "dst", dst);
        Checks.contiguous("src", src);
        Checks.contiguous("dst", dst);
        Checks.writable("dst", dst);
        Checks.noOverlap("src", src, "dst", dst, src.dtype().bits() == dst.dtype().bits());
        var s = Checks.stream(stream, dst.device());
        Native.convert(dst.device().index(), s, src.segment(), src.dtype().code(), dst.segment(), dst.dtype().code(), src.numel());
    }
}
