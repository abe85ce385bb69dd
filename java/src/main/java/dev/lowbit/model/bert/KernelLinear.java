package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A linear layer on a lowbit GEMM, over activations that already live in native memory (the
 * encoder's per-thread buffers); whatever the layer needs besides (quantized activations, a
 * modified copy of x) comes from the calling thread's own reusable buffers, {@link ThreadScratch},
 * so concurrent callers never share memory.
 */
abstract class KernelLinear implements LinearOp {
    final int in, out;
    final Tensor bias;

    KernelLinear(BertWeights.Linear lin, Arena arena) {
        in = lin.in();
        out = lin.out();
        bias = Tensor.of(arena, lin.b(), out);
    }

    /**
     * x copied into the calling thread's scratch, for layers that transform their input in place: {@link #apply} must leave x
     * unchanged (valid until the thread's next call).
     */
    static Tensor writableCopy(Tensor x) {
        Tensor c = Tensor.wrap(ThreadScratch.get(ThreadScratch.X, x.byteSize()), DType.F32, x.shape());
        MemorySegment.copy(x.segment(), 0, c.segment(), 0, x.byteSize());
        return c;
    }

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
    public final int in() {
        return in;
    }

    @Override
    public final int out() {
        return out;
    }
}
