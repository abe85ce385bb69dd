package dev.lowbit.activation;

import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** lb_gelu on CUDA gives the CPU's bits (the same function, common/gelu.h). Skips without a GPU. */
class GeluCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    @Test
    void equalsTheCpuBitForBit() {
        SplittableRandom r = new SplittableRandom(4);
        int n = (1 << 20) + 3;  // not a multiple of 4: the float4 kernel and the tail kernel
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * 4);
        float[] special = {0f, -0f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.MIN_VALUE, -5.66f, -5.7f, 5.66f, 1e-30f, -3f, 3f, 0.5f, -0.5f};
        System.arraycopy(special, 0, x, 0, special.length);
        try (Arena arena = Arena.ofConfined()) {
            Tensor cx = Tensor.of(arena, x, n), cpu = Tensor.of(arena, new float[n], n);
            Gelu.apply(cx, cpu);
            Tensor gx = cx.to(GPU, arena), gpu = Tensor.of(arena, new float[n], n).to(GPU, arena);
            Gelu.apply(gx, gpu);
            assertArrayEquals(cpu.toFloatArray(), gpu.to(Device.CPU, arena).toFloatArray());
            // In place, from a view that starts one float in (not 16-byte aligned: the scalar kernel only).
            Tensor view = gx.slice(0, 1, n);
            Gelu.apply(view, view);
            float[] want = cpu.toFloatArray(), got = view.to(Device.CPU, arena).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(want, 1, n), got);
        }
    }
}
