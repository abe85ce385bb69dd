package dev.lowbit.model.bert;

import dev.lowbit.Tensor;
import dev.lowbit.gemm.W8A8;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;

/**
 * W8A8 (SmoothQuant-style storage, no smoothing): int8 weights per output channel, activations
 * quantized per token on each call — with rotation, rotated and quantized in one fused pass.
 */
final class W8A8Linear extends KernelLinear {
    private static final QuantFormat FORMAT = QuantFormat.int8(Granularity.PER_ROW);
    private final boolean rotate;
    private final W8A8.Weights w;

    W8A8Linear(BertWeights.Linear lin, boolean rotate, Arena arena) {
        super(lin, arena);
        this.rotate = rotate;
        try (Arena tmp = Arena.ofConfined()) {
            w = W8A8.prepack(Quantizer.quantize(LinearOp.weightsForKernel(lin, rotate, tmp), FORMAT, tmp), arena);
        }
    }

    @Override
    void run(Tensor x, Tensor y, Arena call) {
        Quantized a = rotate ? Hadamard.rotateQuantize(x, LinearOp.ROTATION, FORMAT, call) : Quantizer.quantize(x, FORMAT, call);
        W8A8.matmul(a, w, bias, y);
    }
}
