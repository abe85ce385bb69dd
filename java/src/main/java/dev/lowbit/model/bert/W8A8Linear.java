package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.W8A8;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * W8A8 (SmoothQuant-style storage, no smoothing): int8 weights per output channel, activations
 * quantized per token on each call — with rotation, rotated and quantized in one fused pass.
 */
final class W8A8Linear implements LinearOp {
    private static final QuantFormat FORMAT = QuantFormat.int8(Granularity.PER_ROW);
    private final int in, out;
    private final boolean rotate;
    private final W8A8.Weights w;
    private final Tensor bias;

    W8A8Linear(BertWeights.Linear lin, boolean rotate, Arena arena) {
        in = lin.in();
        out = lin.out();
        this.rotate = rotate;
        try (Arena tmp = Arena.ofConfined()) {
            w = W8A8.prepack(Quantizer.quantize(LinearOp.weightsForKernel(lin, rotate, tmp), FORMAT, tmp), arena);
        }
        bias = Tensor.of(arena, lin.b(), out);
    }

    @Override
    public void apply(float[] x, int rows, float[] y) {
        try (Arena call = Arena.ofConfined()) {
            Tensor xt = Tensor.of(call, x, rows, in);
            Quantized a = rotate ? Hadamard.rotateQuantize(xt, LinearOp.ROTATION, FORMAT, call) : Quantizer.quantize(xt, FORMAT, call);
            Tensor result = Tensor.allocate(call, DType.F32, Device.CPU, rows, out);
            W8A8.matmul(a, w, bias, result);
            MemorySegment.copy(result.segment(), ValueLayout.JAVA_FLOAT, 0, y, 0, rows * out);
        }
    }

    @Override
    public int in() {
        return in;
    }

    @Override
    public int out() {
        return out;
    }
}
