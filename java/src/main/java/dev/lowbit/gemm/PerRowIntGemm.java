package dev.lowbit.gemm;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * What W8A8 and W4A4 share: integer codes with one F32 scale per row on both sides, exact int32
 * accumulation and the same C signatures ({@code lb_w8a8_*}, {@code lb_w4a4_*}), hence the same
 * argument rules and messages. Each public class checks its own quantization format first. A call runs on the device
 * of its first operand (CPU or CUDA).
 */
final class PerRowIntGemm {
    /** 255 · 128 · k stays below 2³¹. */
    static final long MAX_K = 65536;

    interface PackedBytes {
        long of(long n, long k);
    }

    interface Prepack {
        void run(int device, MemorySegment b, long n, long k, MemorySegment packed, long packedBytes);
    }

    interface Gemm {
        void run(int device, MemorySegment stream, MemorySegment a, MemorySegment aScales, MemorySegment bPacked, MemorySegment bScales,
                 MemorySegment bias, MemorySegment d, int dDtype, long m, long n, long k);
    }

    /** Prepacked weights [n, k] and a copy of their per-row scales ([n, 1]). */
    record Packed(Tensor packed, Tensor scales, long n, long k) {}

    private final DType codes;
    private final PackedBytes packedBytes;
    private final Prepack prepack;
    private final Gemm gemm;

    PerRowIntGemm(DType codes, PackedBytes packedBytes, Prepack prepack, Gemm gemm) {
        this.codes = codes;
        this.packedBytes = packedBytes;
        this.prepack = prepack;
        this.gemm = gemm;
    }

    Packed prepack(Tensor q, Tensor scales, Arena arena) {
        Objects.requireNonNull(arena, "arena");
        Device device = GemmChecks.device("w", q);
        long[] nk = GemmChecks.matrix("w", q, codes, device);
        long n = nk[0], k = nk[1];
        if (k > MAX_K) throw new IllegalArgumentException("k = " + k + " is above " + MAX_K + " (int32 accumulators could overflow)");
        GemmChecks.rowScales("w scales", scales, n, device);
        long bytes = packedBytes.of(n, k);
        if (bytes < 0) throw new IllegalArgumentException("w of shape [" + n + ", " + k + "] is too large to pack");
        Tensor packed = Tensor.allocate(arena, DType.U8, device, bytes);
        prepack.run(device.index(), q.segment(), n, k, packed.segment(), bytes);
        Tensor s = Tensor.allocate(arena, DType.F32, device, n, 1);
        s.copyFrom(scales.reshape(n, 1));
        return new Packed(packed, s, n, k);
    }

    /** out F32/F16/BF16 = ((acc · aScale[i]) · wScale[j]) (+ bias[j]), on {@code stream} (null: complete on return). */
    void matmul(Quantized a, Packed w, Tensor bias, Tensor out, CudaStream stream) {
        Device device = GemmChecks.device("a", a.q());
        long m = rows(a.q(), w, device);
        GemmChecks.rowScales("a scales", a.scales(), m, device);
        GemmChecks.output(out, "out", m, w.n(), device, DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(bias, w.n(), device);
        gemm.run(device.index(), Checks.stream(stream, device), a.q().segment(), a.scales().segment(), w.packed().segment(), w.scales().segment(),
                biasSeg, out.segment(), out.dtype().code(), m, w.n(), w.k());
    }

    /** out I32 = the exact accumulators. */
    void matmulInt32(Tensor a, Packed w, Tensor out) {
        Device device = GemmChecks.device("a", a);
        long m = rows(a, w, device);
        GemmChecks.output(out, "out", m, w.n(), device, DType.I32);
        Checks.noOverlap("a", a, "out", out, false);
        gemm.run(device.index(), MemorySegment.NULL, a.segment(), MemorySegment.NULL, w.packed().segment(), MemorySegment.NULL,
                MemorySegment.NULL, out.segment(), DType.I32.code(), m, w.n(), w.k());
    }

    /** m of activations a [m, k] for weights w (both live, all on device). */
    private long rows(Tensor a, Packed w, Device device) {
        Checks.live("w packed", w.packed());
        Checks.live("w scales", w.scales());
        GemmChecks.on("w packed", w.packed(), device);
        GemmChecks.on("w scales", w.scales(), device);
        long[] mk = GemmChecks.matrix("a", a, codes, device);
        if (mk[1] != w.k()) throw new IllegalArgumentException("a has k = " + mk[1] + " but the weights have k = " + w.k());
        return mk[0];
    }
}
