package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * FP8 matmul: {@code out[m, n] = scaled(a · wᵀ) (+ bias[n])} with activations {@code a [m, k]} and weights
 * {@code w [n, k]} each in E4M3 or E5M2 (mixes allowed), f32 accumulation, output F32, F16 or BF16. Scales are F32
 * and come from the {@link Quantized} operands' granularities:
 * <ul>
 *   <li>per tensor × per tensor: {@code acc · (sa · sw)};</li>
 *   <li>per tensor or per row (token) × per tensor or per row (output channel): {@code (acc · sa[i]) · sw[j]};</li>
 *   <li>1×128 blocks (a, {@code Granularity.group(128)}) × 128×128 blocks (w, {@code Granularity.block(128, 128)}),
 *       DeepSeek-V3 / vLLM style: {@code Σ_kb acc_kb · (sa[i][kb] · sw[j/128][kb])}.</li>
 * </ul>
 * Weights are prepacked once ({@link #prepack}); see {@code lowbit.h} ("gemm, FP8") for the layout, the order of
 * operations and NaN behaviour. Runs where its operands are: on the CPU (AVX-512 BF16 kernel; AVX2 / scalar fallbacks)
 * or on a CUDA device with fp8 tensor cores (compute capability 8.9+: Ada, Hopper; others throw UNSUPPORTED); the
 * two agree to f32 accumulation tolerance. Prepacking on CUDA stages the weights through host memory once.
 */
public final class Fp8Gemm {
    private static final long BLOCK = 128;

    private Fp8Gemm() {}

    /** How the weights' scales are laid out. */
    public enum WeightScales {
        /** One scale. */
        TENSOR,
        /** One scale per row of w (per output channel). */
        ROW,
        /** One scale per 128×128 block. */
        BLOCK
    }

    /** Prepacked fp8 weights {@code [n, k]} of {@code dtype}, with their F32 scales laid out as {@code layout} says. */
    public record Weights(Tensor packed, Tensor scales, DType dtype, WeightScales layout, long n, long k) {
        public Weights {
            Objects.requireNonNull(packed, "packed");
            Objects.requireNonNull(scales, "scales");
            Objects.requireNonNull(dtype, "dtype");
            Objects.requireNonNull(layout, "layout");
        }

        /** These weights on {@code device} (the packed bytes are the same on every device), owned by {@code arena}. */
        public Weights to(Device device, Arena arena) {
            return new Weights(packed.to(device, arena), scales.to(device, arena), dtype, layout, n, k);
        }
    }

    /**
     * Prepacks fp8 weights quantized per tensor, per row or in 128×128 blocks with F32 scales (the scales are copied).
     */
    public static Weights prepack(Quantized w, Arena arena) {
        Objects.requireNonNull(w, "w");
        Objects.requireNonNull(arena, "arena");
        DType dtype = fp8Dtype("w", w);
        Device device = GemmChecks.device("w", w.q());
        long[] nk = GemmChecks.matrix("w", w.q(), dtype, device);
        long n = nk[0], k = nk[1];
        long[] block = w.format().granularity().resolve(n, k);
        WeightScales layout;
        if (block[0] == n && block[1] == k) layout = WeightScales.TENSOR;
        else if (block[0] == 1 && block[1] == k) layout = WeightScales.ROW;
        else if (block[0] == BLOCK && block[1] == BLOCK) layout = WeightScales.BLOCK;
        else {
            throw new IllegalArgumentException("FP8 weights must be scaled per tensor, per row or in 128x128 blocks, got "
                    + w.format().granularity());
        }
        Tensor scales = scalesOf("w scales", w, (n / block[0]) * (k / block[1]), device);
        long bytes = Native.fp8PackedBytes(n, k);
        if (bytes < 0) throw new IllegalArgumentException("w of shape [" + n + ", " + k + "] is too large to pack");
        Tensor packed = Tensor.allocate(arena, DType.U8, device, bytes);
        Native.fp8Prepack(device.index(), w.q().segment(), n, k, packed.segment(), bytes);
        Tensor s = Tensor.allocate(arena, DType.F32, device, scales.numel());
        s.copyFrom(scales.reshape(scales.numel()));
        return new Weights(packed, s, dtype, layout, n, k);
    }

    /**
     * {@code out = scaled(a · wᵀ) (+ bias)}: a fp8 {@code [m, k]} scaled per tensor or per row (with TENSOR / ROW
     * weights) or per 1×128 group (with BLOCK weights); out {@code [m, n]} F32, F16 or BF16; bias F32 {@code [n]} or null.
     */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out) {
        matmul(a, w, bias, out, null);
    }

    /** As {@link #matmul(Quantized, Weights, Tensor, Tensor)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void matmul(Quantized a, Weights w, Tensor bias, Tensor out, CudaStream stream) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Checks.live("w packed", w.packed());
        Checks.live("w scales", w.scales());
        DType aDtype = fp8Dtype("a", a);
        Device device = GemmChecks.device("a", a.q());
        GemmChecks.on("w packed", w.packed(), device);
        GemmChecks.on("w scales", w.scales(), device);
        long[] mk = GemmChecks.matrix("a", a.q(), aDtype, device);
        long m = mk[0], k = mk[1];
        if (k != w.k()) throw new IllegalArgumentException("a has k = " + k + " but the weights have k = " + w.k());
        long[] block = a.format().granularity().resolve(m, k);
        boolean aTensor = block[0] == m && block[1] == k, aRow = block[0] == 1 && block[1] == k;
        boolean aBlock = block[0] == 1 && block[1] == BLOCK;
        GemmChecks.output(out, "out", m, w.n(), device, DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(bias, w.n(), device), s = Checks.stream(stream, device);
        Tensor aScales = scalesOf("a scales", a, (m / block[0]) * (k / block[1]), device);
        if (w.layout() == WeightScales.BLOCK) {
            if (!aBlock) {
                throw new IllegalArgumentException("weights in 128x128 blocks need activations scaled per 1x128 group "
                        + "(Granularity.group(128)), got " + a.format().granularity());
            }
            call(a, aDtype, aScales.segment(), w, w.scales().segment(), Native.FP8_SCALE_BLOCK, biasSeg, out, m, s);
            return;
        }
        if (!aTensor && !aRow) {
            throw new IllegalArgumentException("weights scaled per " + w.layout().name().toLowerCase()
                    + " need activations scaled per tensor or per row, got " + a.format().granularity());
        }
        if (aTensor && w.layout() == WeightScales.TENSOR) {
            call(a, aDtype, aScales.segment(), w, w.scales().segment(), Native.FP8_SCALE_TENSOR, biasSeg, out, m, s);
            return;
        }
        // One side per row, the other per tensor: broadcast the single scale so the kernel sees rows × columns.
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment as = aTensor ? broadcast(aScales, m, scratch) : aScales.segment();
            MemorySegment ws = w.layout() == WeightScales.TENSOR ? broadcast(w.scales(), w.n(), scratch) : w.scales().segment();
            call(a, aDtype, as, w, ws, Native.FP8_SCALE_ROW_COL, biasSeg, out, m, s);
            if (stream != null) stream.synchronize();  // the broadcast scales are freed with `scratch`
        }
    }

    /** A new {@code [m, n]} tensor of {@code dtype} holding {@link #matmul(Quantized, Weights, Tensor, Tensor)}. */
    public static Tensor matmul(Quantized a, Weights w, Tensor bias, DType dtype, Arena arena) {
        Objects.requireNonNull(a, "a");
        Objects.requireNonNull(w, "w");
        Tensor out = Tensor.allocate(arena, dtype, a.q().device(), a.q().dim(0), w.n());
        matmul(a, w, bias, out);
        return out;
    }

    /** Floating-point operations per second VDPBF16PS reaches on all lowbit threads: the roof (0 unless the AVX512
     *  variant is in use on a CPU with AVX512_BF16). */
    public static double bf16PeakFlopsPerSecond(int millis) {
        return Native.cpuBf16Peak(millis);
    }

    // ------------------------------------------------------------------ helpers

    private static void call(Quantized a, DType aDtype, MemorySegment aScales, Weights w, MemorySegment wScales, int scaling,
                             MemorySegment bias, Tensor out, long m, MemorySegment stream) {
        Native.fp8Gemm(out.device().index(), stream, a.q().segment(), aDtype.code(), aScales, w.packed().segment(),
                w.dtype().code(), wScales, scaling, bias, out.segment(), out.dtype().code(), m, w.n(), w.k());
    }

    /** {@code count} copies of the single scale in {@code one}, on one's device, owned by {@code arena}. */
    private static MemorySegment broadcast(Tensor one, long count, Arena arena) {
        float s = one.device().isCpu() ? one.segment().get(ValueLayout.JAVA_FLOAT, 0) : one.to(Device.CPU, arena).toFloatArray()[0];
        float[] values = new float[Math.toIntExact(count)];
        Arrays.fill(values, s);
        Tensor host = Tensor.of(arena, values, count);
        return one.device().isCpu() ? host.segment() : host.to(one.device(), arena).segment();
    }

    private static DType fp8Dtype(String name, Quantized q) {
        DType t = q.format().qtype();
        if (t != DType.FP8_E4M3 && t != DType.FP8_E5M2) {
            throw new IllegalArgumentException(name + " must be FP8_E4M3 or FP8_E5M2 for the FP8 GEMM, got " + q.format());
        }
        if (q.format().scaleDtype() != DType.F32) {
            throw new IllegalArgumentException(name + " scales must be F32 for the FP8 GEMM, got " + q.format().scaleDtype());
        }
        return t;
    }

    private static Tensor scalesOf(String name, Quantized q, long count, Device device) {
        Tensor s = q.scales();
        Checks.live(name, s);
        Checks.dtype(name, s, DType.F32);
        Checks.contiguous(name, s);
        GemmChecks.on(name, s, device);
        if (s.numel() != count) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(s.shape()) + ", expected " + count + " scales for "
                    + q.format().granularity());
        }
        return s;
    }

}
