package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.W4A16;
import dev.lowbit.gemm.W4A8;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.model.Quant;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * int4 weights in groups along k (AWQ/GPTQ storage without their calibration; F16 scales), f32
 * activations (W4A16), int8 activations in blocks of 32 (W4A8) or fp8 E4M3 activations per token
 * (W4FP8, on lb_w4a8_gemm); optionally Hadamard-rotated (with fp8, rotated and quantized in one pass).
 */
final class W4A16Linear extends KernelLinear {
    private final boolean rotate, fp8;
    private final W4A16.Activations activations;
    private final W4A16.Weights w;
    private final float[] inverseScales;  // AWQ: the activations' per-channel divisors as factors; null without

    W4A16Linear(BertWeights.Linear lin, Quant quant, Device device, Arena arena) {
        this(lin, quant, null, device, arena);
    }

    /**
     * With a calibration Hessian ([in][in], for GPTQ and AWQ modes) the weights are scaled per input channel by
     * {@link Awq} (-awq) and/or quantized by {@link Gptq} (-gptq).
     */
    W4A16Linear(BertWeights.Linear lin, Quant quant, double[] hessian, Device device, Arena arena) {
        super(lin, device, arena);
        rotate = quant.rotate();
        fp8 = quant.scheme() == Quant.Scheme.W4FP8;
        activations = quant.scheme() == Quant.Scheme.W4A8 ? W4A16.Activations.INT8 : W4A16.Activations.EXACT;
        QuantFormat f = QuantFormat.int4(Granularity.group(quant.group())).withScaleDtype(DType.F16);
        if (quant.mse()) f = f.withMseClip();
        float[] s = null;
        try (Arena tmp = Arena.ofConfined()) {
            Tensor wt = LinearOp.weightsForKernel(lin, rotate, tmp);
            Quantized q;
            if (hessian == null) {
                q = Quantizer.quantize(wt, f, tmp);
            } else {  // calibrated: AWQ scaling and/or GPTQ work on the weights as a Java array
                float[] wf = wt.toFloatArray();
                double[] h = hessian;
                if (quant.awq()) {
                    s = Awq.scales(wf, lin.out(), lin.in(), h, f);
                    wf = Awq.scaleColumns(wf, lin.out(), lin.in(), s);
                    h = Awq.scaledHessian(h, lin.in(), s);
                }
                q = quant.gptq() ? Gptq.quantize(wf, lin.out(), lin.in(), h, quant.group(), quant.mse(), tmp)
                        : Quantizer.quantize(Tensor.of(tmp, wf, lin.out(), lin.in()), f, tmp);
            }
            W4A16.Weights packed = W4A16.prepack(q, device.isCpu() ? arena : tmp);  // the same bytes on every device
            w = device.isCpu() ? packed : packed.to(device, arena);
        }
        if (s != null) {
            inverseScales = new float[s.length];
            for (int k = 0; k < s.length; k++) inverseScales[k] = 1f / s[k];
        } else {
            inverseScales = null;
        }
    }

    @Override
    public void apply(Tensor x, Tensor y, CudaStream stream) {
        if (inverseScales != null || (rotate && !fp8)) x = writableCopy(x, stream);
        if (inverseScales != null) scaleColumns(x);  // AWQ: CPU only (no stream)
        if (fp8) {
            W4A8.matmul(quantizePerToken(x, W4A8.activationFormat(), rotate, stream), w, bias, y, stream);
            return;
        }
        if (rotate) Hadamard.rotate(x, x, LinearOp.ROTATION, stream);
        W4A16.matmul(x, w, bias, y, activations, stream);
    }

    /** x[r][k] *= 1 / s_k in place (AWQ). */
    private void scaleColumns(Tensor x) {
        MemorySegment seg = x.segment();
        long rows = x.dim(0);
        for (long r = 0; r < rows; r++)
            for (int k = 0; k < in; k++) {
                long i = r * in + k;
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, i, seg.getAtIndex(ValueLayout.JAVA_FLOAT, i) * inverseScales[k]);
            }
    }
}
