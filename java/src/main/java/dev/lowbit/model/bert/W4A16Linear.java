package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.W4A16;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.model.Quant;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * int4 weights in groups along k (AWQ/GPTQ storage without their calibration; F16 scales), f32
 * activations (W4A16) or int8 activations in blocks of 32 (W4A8); optionally Hadamard-rotated.
 */
final class W4A16Linear implements LinearOp {
    private final int in, out;
    private final boolean rotate;
    private final W4A16.Activations activations;
    private final W4A16.Weights w;
    private final Tensor bias;

    W4A16Linear(BertWeights.Linear lin, Quant quant, Arena arena) {
        in = lin.in();
        out = lin.out();
        rotate = quant.rotate();
        activations = quant.scheme() == Quant.Scheme.W4A8 ? W4A16.Activations.INT8 : W4A16.Activations.EXACT;
        QuantFormat f = QuantFormat.int4(Granularity.group(quant.group())).withScaleDtype(DType.F16);
        if (quant.mse()) f = f.withMseClip();
        try (Arena tmp = Arena.ofConfined()) {
            w = W4A16.prepack(Quantizer.quantize(LinearOp.weightsForKernel(lin, rotate, tmp), f, tmp), arena);
        }
        bias = Tensor.of(arena, lin.b(), out);
    }

    @Override
    public void apply(float[] x, int rows, float[] y) {
        try (Arena call = Arena.ofConfined()) {
            Tensor xt = Tensor.of(call, x, rows, in);
            if (rotate) Hadamard.rotate(xt, xt, LinearOp.ROTATION);
            Tensor result = Tensor.allocate(call, DType.F32, Device.CPU, rows, out);
            W4A16.matmul(xt, w, bias, result, activations);
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
