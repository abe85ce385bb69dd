package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.Fp8Gemm;
import dev.lowbit.gemm.W4A4;
import dev.lowbit.gemm.W8A8;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.util.function.BiFunction;

/**
 * Weights quantized per output channel, activations quantized per token on each call (with
 * rotation: rotated and quantized in one fused pass), both in one format: W8A8 (int8,
 * SmoothQuant-style storage without smoothing), W4A4 (int4, QuaRot without GPTQ) or FP8 (E4M3, as
 * FP8 serving stacks run).
 */
final class PerTokenLinear extends KernelLinear {
    /** The GEMM over the prepacked weights: y = dequantized(a · Wᵀ) + bias. */
    private interface Matmul {
        void run(Quantized a, Tensor bias, Tensor y, CudaStream stream);
    }

    private final QuantFormat format;
    private final boolean rotate;
    private final Matmul matmul;

    private PerTokenLinear(BertWeights.Linear lin, QuantFormat format, boolean rotate, Device device, Arena arena, Matmul matmul) {
        super(lin, device, arena);
        this.format = format;
        this.rotate = rotate;
        this.matmul = matmul;
    }

    static PerTokenLinear w8a8(BertWeights.Linear lin, boolean rotate, Device device, Arena arena) {
        return of(lin, QuantFormat.int8(Granularity.PER_ROW), rotate, device, arena, W8A8::prepack, W8A8.Weights::to,
                (w, a, bias, y, s) -> W8A8.matmul(a, w, bias, y, s));
    }

    static PerTokenLinear w4a4(BertWeights.Linear lin, boolean rotate, Device device, Arena arena) {
        return of(lin, W4A4.FORMAT, rotate, device, arena, W4A4::prepack, W4A4.Weights::to,
                (w, a, bias, y, s) -> W4A4.matmul(a, w, bias, y, s));
    }

    static PerTokenLinear fp8(BertWeights.Linear lin, boolean rotate, Device device, Arena arena) {
        return of(lin, QuantFormat.fp8E4M3(Granularity.PER_ROW), rotate, device, arena, Fp8Gemm::prepack, Fp8Gemm.Weights::to,
                (w, a, bias, y, s) -> Fp8Gemm.matmul(a, w, bias, y, s));
    }

    /** Prepacked weights moved to a device: {@code Weights.to}. */
    private interface Move<W> {
        W to(W w, Device device, Arena arena);
    }

    /** A GEMM's matmul over its prepacked weights W. */
    private interface Kernel<W> {
        void run(W w, Quantized a, Tensor bias, Tensor y, CudaStream stream);
    }

    /**
     * The weights (rotated if asked) quantized in format and prepacked on the CPU (the packed bytes are the same on every
     * device), moved to {@code device} in arena, and the GEMM bound to them.
     */
    private static <W> PerTokenLinear of(BertWeights.Linear lin, QuantFormat format, boolean rotate, Device device, Arena arena,
                                         BiFunction<Quantized, Arena, W> prepack, Move<W> move, Kernel<W> kernel) {
        W w;
        try (Arena tmp = Arena.ofConfined()) {
            W packed = prepack.apply(Quantizer.quantize(LinearOp.weightsForKernel(lin, rotate, tmp), format, tmp), device.isCpu() ? arena : tmp);
            w = device.isCpu() ? packed : move.to(packed, device, arena);
        }
        return new PerTokenLinear(lin, format, rotate, device, arena, (a, bias, y, s) -> kernel.run(w, a, bias, y, s));
    }

    @Override
    public void apply(Tensor x, Tensor y, CudaStream stream) {
        matmul.run(quantizePerToken(x, format, rotate, stream), bias, y, stream);
    }
}
