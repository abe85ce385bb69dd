package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.stream.IntStream;

/**
 * The fp32 reference linear layer in plain Java. Loop order row, k, column over W [in, out], so
 * the inner loop is a contiguous axpy that the JIT vectorises without reassociating any sum; rows
 * are spread over the common fork-join pool. The activations are copied out of and back into
 * native memory around it (this is the reference, not a fast path).
 */
final class F32Linear implements LinearOp {
    private static final int ROWS_PER_TASK = 4;
    private final BertWeights.Linear lin;

    F32Linear(BertWeights.Linear lin) {
        this.lin = lin;
    }

    @Override
    public void apply(Tensor xt, Tensor yt, CudaStream stream) {  // CPU only: no stream
        int rows = Math.toIntExact(xt.dim(0));
        float[] x = xt.toFloatArray(), y = new float[rows * lin.out()];
        apply(x, rows, y);
        MemorySegment.copy(y, 0, yt.segment(), ValueLayout.JAVA_FLOAT, 0, y.length);
    }

    /** y[rows, out] = x[rows, in] W + b on Java arrays. */
    void apply(float[] x, int rows, float[] y) {
        int in = lin.in(), out = lin.out();
        float[] w = lin.w(), b = lin.b();
        int tasks = (rows + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        IntStream.range(0, tasks).parallel().forEach(t -> {
            for (int r = t * ROWS_PER_TASK; r < Math.min(rows, (t + 1) * ROWS_PER_TASK); r++) {
                int yo = r * out, xo = r * in;
                System.arraycopy(b, 0, y, yo, out);
                for (int k = 0; k < in; k++) {
                    float a = x[xo + k];
                    int wo = k * out;
                    for (int j = 0; j < out; j++) y[yo + j] += a * w[wo + j];
                }
            }
        });
    }

    @Override
    public int in() {
        return lin.in();
    }

    @Override
    public int out() {
        return lin.out();
    }
}
