package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A linear layer on a lowbit GEMM: the activations cross into native memory for the call (an
 * arena per call, so concurrent callers never share scratch) and the result crosses back.
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

    @Override
    public final void apply(float[] x, int rows, float[] y) {
        try (Arena call = Arena.ofConfined()) {
            Tensor result = Tensor.allocate(call, DType.F32, Device.CPU, rows, out);
            run(Tensor.of(call, x, rows, in), result, call);
            MemorySegment.copy(result.segment(), ValueLayout.JAVA_FLOAT, 0, y, 0, rows * out);
        }
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
