package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.W4A16;
import dev.lowbit.gemm.W4A8;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.model.Quant;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;

/**
 * int4 weights in groups along k (AWQ/GPTQ storage without their calibration; F16 scales), f32
 * activations (W4A16), int8 activations in blocks of 32 (W4A8) or fp8 E4M3 activations per token
 * (W4FP8, on lb_w4a8_gemm); optionally Hadamard-rotated (with fp8, rotated and quantized in one pass).
 */
final class W4A16Linear extends KernelLinear {
    private final boolean rotate, fp8;
    private final W4A16.Activations activations;
    private final W4A16.Weights w;

    W4A16Linear(BertWeights.Linear lin, Quant quant, Arena arena) {
        this(lin, quant, null, arena);
    }

    /** With a calibration Hessian ([in][in], for GPTQ modes) the weights are quantized by {@link Gptq}. */
    W4A16Linear(BertWeights.Linear lin, Quant quant, double[] hessian, Arena arena) {
        super(lin, arena);
        rotate = quant.rotate();
        fp8 = quant.scheme() == Quant.Scheme.W4FP8;
        activations = quant.scheme() == Quant.Scheme.W4A8 ? W4A16.Activations.INT8 : W4A16.Activations.EXACT;
        QuantFormat f = QuantFormat.int4(Granularity.group(quant.group())).withScaleDtype(DType.F16);
        if (quant.mse()) f = f.withMseClip();
        try (Arena tmp = Arena.ofConfined()) {
            Tensor wt = LinearOp.weightsForKernel(lin, rotate, tmp);
            w = W4A16.prepack(hessian == null ? Quantizer.quantize(wt, f, tmp)
                    : Gptq.quantize(wt.toFloatArray(), lin.out(), lin.in(), hessian, quant.group(), tmp), arena);
        }
    }

    @Override
    void run(Tensor x, Tensor y, Arena call) {
        if (fp8) {
            QuantFormat f = W4A8.activationFormat();
            W4A8.matmul(rotate ? Hadamard.rotateQuantize(x, LinearOp.ROTATION, f, call) : Quantizer.quantize(x, f, call), w, bias, y);
            return;
        }
        if (rotate) Hadamard.rotate(x, x, LinearOp.ROTATION);
        W4A16.matmul(x, w, bias, y, activations);
    }
}
