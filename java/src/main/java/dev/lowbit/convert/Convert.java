package dev.lowbit.convert;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

/**
 * Elementwise conversion between {@link DType#F32}, {@link DType#F16}, {@link DType#BF16},
 * {@link DType#FP8_E4M3} and {@link DType#FP8_E5M2} on the CPU or a CUDA device, without scaling (for
 * scaled fp8 see {@code dev.lowbit.quant.Quantizer}). Round to nearest even; subnormals are kept.
 * To F16/BF16: overflow gives ±Inf; NaN stays NaN (sign and top payload bits kept, quiet bit set).
 * To FP8 (as CUDA's {@code __nv_cvt_float_to_fp8}): NaN becomes 0x7F; values past the largest finite
 * one (±448 E4M3, ±57344 E5M2) become NaN (E4M3) or ±Inf (E5M2), or with
 * {@link #convertSaturating} the signed largest finite value. CPU variants and CUDA give identical bits.
 */
public final class Convert {
    private static final DType[] FLOATS = {DType.F32, DType.F16, DType.BF16, DType.FP8_E4M3, DType.FP8_E5M2};

    private Convert() {}

    /** Writes {@code src} converted to {@code dst}'s dtype into {@code dst}; same shape, same device, both contiguous. */
    public static void convert(Tensor src, Tensor dst) {
        convert(src, dst, null);
    }

    /** Like {@link #convert(Tensor, Tensor)}, asynchronously on {@code stream} for CUDA tensors. */
    public static void convert(Tensor src, Tensor dst, CudaStream stream) {
        convert(src, dst, stream, 0);
    }

    /** Like {@link #convert(Tensor, Tensor)}, but out-of-range values become the largest finite FP8 value. */
    public static void convertSaturating(Tensor src, Tensor dst) {
        convert(src, dst, null, Native.CONVERT_SATURATE);
    }

    /** Like {@link #convertSaturating(Tensor, Tensor)}, asynchronously on {@code stream} for CUDA tensors. */
    public static void convertSaturating(Tensor src, Tensor dst, CudaStream stream) {
        convert(src, dst, stream, Native.CONVERT_SATURATE);
    }

    private static void convert(Tensor src, Tensor dst, CudaStream stream, int flags) {
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
        Native.convert(dst.device().index(), s, src.segment(), src.dtype().code(), dst.segment(), dst.dtype().code(), src.numel(), flags);
    }
}
