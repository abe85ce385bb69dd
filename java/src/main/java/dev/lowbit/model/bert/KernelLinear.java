package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A linear layer on a lowbit GEMM: the activations cross into native memory for the call (the
 * calling thread's own reusable buffers, {@link ThreadScratch}, plus an arena per call for anything
 * else, so concurrent callers never share memory) and the result crosses back.
 */
abstract class KernelLinear implements LinearOp {
    final int in, out;
    final Tensor bias;

    KernelLinear(BertWeights.Linear lin, Arena arena) {
        in = lin.in();
        out = lin.out();
        bias = Tensor.of(arena, lin.b(), out);
    }

    /** y [rows, out] F32 = x [rows, in] F32 · Wᵀ + bias; x may be overwritten. */
    abstract void run(Tensor x, Tensor y, Arena call);

    /**
     * x [rows, in] quantized with one scale per row (per token) in format, Hadamard-rotated first in the
     * same pass if asked, into the calling thread's reusable buffers (valid until its next call).
     */
    static Quantized quantizePerToken(Tensor x, QuantFormat format, boolean rotate) {
        long rows = x.dim(0), cols = x.dim(1);
        DType qt = format.qtype();
        Quantized a = new Quantized(format, Tensor.wrap(ThreadScratch.get(ThreadScratch.CODES, qt.byteSize(rows * cols)), qt, rows, cols),
                Tensor.wrap(ThreadScratch.get(ThreadScratch.SCALES, rows * Float.BYTES), DType.F32, rows, 1), null);
        if (rotate) Hadamard.rotateQuantize(x, LinearOp.ROTATION, a, null);
        else Quantizer.quantize(x, a, null);
        return a;
    }

    @Override
    public final void apply(float[] x, int rows, float[] y) {
        MemorySegment xs = ThreadScratch.get(ThreadScratch.X, (long) rows * in * Float.BYTES);
        MemorySegment ys = ThreadScratch.get(ThreadScratch.Y, (long) rows * out * Float.BYTES);
        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, rows * in);
        try (Arena call = Arena.ofConfined()) {
            run(Tensor.wrap(xs, DType.F32, rows, in), Tensor.wrap(ys, DType.F32, rows, out), call);
        }
        MemorySegment.copy(ys, ValueLayout.JAVA_FLOAT, 0, y, 0, rows * out);
    }

    @Override
    public final int in() {
        return in;
    }

    @Override
    public final int out() {
        return out;
    }
}
