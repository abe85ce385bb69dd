package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A linear layer on a lowbit GEMM: the activations cross into native memory for the call (the
 * calling thread's own reusable buffers, plus an arena per call for the kernels' scratch, so
 * concurrent callers never share memory) and the result crosses back.
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
     * The calling thread's native buffers for x and y, grown on demand and reused: allocating them per
     * call meant zero-filling (and, past malloc's mmap threshold, page-faulting) megabytes that the
     * copy and the kernel overwrite anyway — 9% of a w8a8 batch of 8 in a JFR profile. Memory of an
     * automatic arena, released when the thread and its buffers are gone.
     */
    private static final class Scratch {
        private MemorySegment x = MemorySegment.NULL, y = MemorySegment.NULL;

        MemorySegment x(long floats) {
            if (x.byteSize() < floats * Float.BYTES) x = Arena.ofAuto().allocate(floats * Float.BYTES * 5 / 4, 64);
            return x;
        }

        MemorySegment y(long floats) {
            if (y.byteSize() < floats * Float.BYTES) y = Arena.ofAuto().allocate(floats * Float.BYTES * 5 / 4, 64);
            return y;
        }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override
    public final void apply(float[] x, int rows, float[] y) {
        Scratch scratch = SCRATCH.get();
        MemorySegment xs = scratch.x((long) rows * in), ys = scratch.y((long) rows * out);
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
