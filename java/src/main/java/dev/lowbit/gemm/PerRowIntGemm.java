package dev.lowbit.gemm;

import dev.lowbit.Checks;
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
 * argument rules and messages. Each public class checks its own quantization format first.
 */
final class PerRowIntGemm {
    /** 255 · 128 · k stays below 2³¹. */
    static final long MAX_K = 65536;

    interface PackedBytes {
        long of(long n, long k);
    }

    interface Prepack {
        void run(int device, MemorySegment b, long n, long k, MemorySegment packed);
    }

    interface Gemm {
        void run(int device, MemorySegment stream, MemorySegment a, MemorySegment aScales, MemorySegment bPacked, MemorySegment bScales,
                 MemorySegment bias, MemorySegment d, int dDtype, long m, long n, long k);
    }

    /** Prepacked weights [n, k] and a copy of their per-row scales ([n, 1]). */
    record Packed(Tensor packed, Tensor scales, long n, long k) {}

    private final String kernel;
    private final DType codes;
    private final PackedBytes packedBytes;
    private final Prepack prepack;
    private final Gemm gemm;

    PerRowIntGemm(String kernel, DType codes, PackedBytes packedBytes, Prepack prepack, Gemm gemm) {
        this.kernel = kernel;
        this.codes = codes;
        this.packedBytes = packedBytes;
        this.prepack = prepack;
        this.gemm = gemm;
    }

    Packed prepack(Tensor q, Tensor scales, Arena arena) {
        Objects.requireNonNull(arena, "arena");
        long[] nk = GemmChecks.matrix(kernel, "w", q, codes);
        long n = nk[0], k = nk[1];
        if (k > MAX_K) throw new IllegalArgumentException("k = " + k + " is above " + MAX_K + " (int32 accumulators could overflow)");
        GemmChecks.rowScales(kernel, "w scales", scales, n);
        Checks.sameDevice("w", q, "w scales", scales);
        long bytes = packedBytes.of(n, k);
        if (bytes < 0) throw new IllegalArgumentException("w of shape [" + n + ", " + k + "] is too large to pack");
        Tensor packed = Tensor.allocate(arena, DType.U8, Device.CPU, bytes);
        prepack.run(Device.CPU.index(), q.segment(), n, k, packed.segment());
        Tensor s = Tensor.allocate(arena, DType.F32, Device.CPU, n, 1);
        s.segment().copyFrom(scales.segment());
        return new Packed(packed, s, n, k);
    }

    /** out F32/F16/BF16 = ((acc · aScale[i]) · wScale[j]) (+ bias[j]). */
    void matmul(Quantized a, Packed w, Tensor bias, Tensor out) {
        long m = rows(a.q(), w);
        GemmChecks.rowScales(kernel, "a scales", a.scales(), m);
        GemmChecks.output(kernel, out, "out", m, w.n(), DType.F32, DType.F16, DType.BF16);
        Checks.noOverlap("a", a.q(), "out", out, false);
        MemorySegment biasSeg = GemmChecks.bias(kernel, bias, w.n());
        gemm.run(Device.CPU.index(), MemorySegment.NULL, a.q().segment(), a.scales().segment(), w.packed().segment(), w.scales().segment(),
                biasSeg, out.segment(), out.dtype().code(), m, w.n(), w.k());
    }

    /** out I32 = the exact accumulators. */
    void matmulInt32(Tensor a, Packed w, Tensor out) {
        long m = rows(a, w);
        GemmChecks.output(kernel, out, "out", m, w.n(), DType.I32);
        Checks.noOverlap("a", a, "out", out, false);
        gemm.run(Device.CPU.index(), MemorySegment.NULL, a.segment(), MemorySegment.NULL, w.packed().segment(), MemorySegment.NULL,
                MemorySegment.NULL, out.segment(), DType.I32.code(), m, w.n(), w.k());
    }

    /** m of activations a [m, k] for weights w (both live). */
    private long rows(Tensor a, Packed w) {
        Checks.live("w packed", w.packed());
        Checks.live("w scales", w.scales());
        long[] mk = GemmChecks.matrix(kernel, "a", a, codes);
        if (mk[1] != w.k()) throw new IllegalArgumentException("a has k = " + mk[1] + " but the weights have k = " + w.k());
        return mk[0];
    }
}
