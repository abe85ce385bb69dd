package dev.lowbit.attention;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** lb_attention on CUDA against the double reference (as the CPU test). Skips without a GPU. */
class AttentionCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    @Test
    void equalsReference() {
        // head sizes across the kernel's register variants (1, 2, 4 and 8 values per lane), 1-token and long sequences
        int[][] shapes = {{12, 32}, {3, 7}, {1, 1}, {2, 64}, {4, 100}, {2, 256}};
        long[] starts = {0, 1, 6, 44, 108, 238, 538};
        SplittableRandom r = new SplittableRandom(6);
        for (int[] shape : shapes) {
            int heads = shape[0], d = shape[1], tokens = (int) starts[starts.length - 1];
            float[] qkv = new float[tokens * 3 * heads * d];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) (r.nextGaussian() * 2);
            double scale = 1 / Math.sqrt(d);
            double[] want = AttentionTest.reference(qkv, starts, heads, d, scale);
            try (Arena arena = Arena.ofConfined()) {
                Tensor out = Tensor.allocate(arena, DType.F32, GPU, tokens, (long) heads * d);
                Attention.selfAttention(Tensor.of(arena, qkv, tokens, 3L * heads * d).to(GPU, arena), starts, heads, (float) scale, out);
                float[] got = out.to(Device.CPU, arena).toFloatArray();
                for (int i = 0; i < got.length; i++)
                    assertEquals(want[i], got[i], 2e-5 * (1 + Math.abs(want[i])), "cuda heads=" + heads + " d=" + d + " at " + i);
            }
        }
    }
}
