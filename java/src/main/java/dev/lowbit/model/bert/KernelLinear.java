package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;

/**
 * A linear layer on a lowbit GEMM, over activations that already live in native memory (the
 * encoder's per-thread buffers); whatever the layer needs besides (quantized activations, a
 * modified copy of x) comes from the calling thread's own reusable buffers, {@link ThreadScratch},
 * so concurrent callers never share memory. Weights, bias and buffers live on the layer's device.
 */
abstract class KernelLinear implements LinearOp {
    final int in, out;
    final Device device;
    final Tensor bias;

    KernelLinear(BertWeights.Linear lin, Device device, Arena arena) {
        in = lin.in();
        out = lin.out();
        this.device = device;
        Tensor b = Tensor.of(arena, lin.b(), out);
        bias = device.isCpu() ? b : b.to(device, arena);
    }

    /**
     * x copied into the calling thread's scratch, for layers that transform their input in place: {@link #apply} must leave x
     * unchanged (valid until the thread's next call).
     */
    static Tensor writableCopy(Tensor x, CudaStream stream) {
        Tensor c = ThreadScratch.of(ThreadScratch.X, x.device(), DType.F32, x.shape());
        c.copyFrom(x, stream);
        return c;
    }

    /**
     * x [rows, in] quantized with one scale per row (per token) in format, Hadamard-rotated first in the
     * same pass if asked, into the calling thread's reusable buffers (valid until its next call). On a GPU it is queued
     * on {@code stream}, whose synchronize reports the checks of x.
     */
    static Quantized quantizePerToken(Tensor x, QuantFormat format, boolean rotate, CudaStream stream) {
        long rows = x.dim(0), cols = x.dim(1);
        DType qt = format.qtype();
        Quantized a = new Quantized(format, ThreadScratch.of(ThreadScratch.CODES, x.device(), qt, rows, cols),
                ThreadScratch.of(ThreadScratch.SCALES, x.device(), DType.F32, rows, 1), null);
        if (rotate) Hadamard.rotateQuantize(x, LinearOp.ROTATION, a, stream);
        else Quantizer.quantize(x, a, stream);
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
