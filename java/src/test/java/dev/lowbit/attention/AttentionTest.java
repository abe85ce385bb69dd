package dev.lowbit.attention;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** lb_attention against a plain double-precision reference, on every ISA. */
class AttentionTest {
    /** softmax(q kᵀ · scale) v per sequence and head, in double. */
    static double[] reference(float[] qkv, long[] starts, int heads, int d, double scale) {
        int width = heads * d, tokens = (int) starts[starts.length - 1];
        double[] out = new double[tokens * width];
        for (int s = 0; s + 1 < starts.length; s++) {
            int s0 = (int) starts[s], len = (int) (starts[s + 1] - starts[s]);
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < len; i++) {
                    double[] p = new double[len];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j < len; j++) {
                        double dot = 0;
                        for (int e = 0; e < d; e++) dot += (double) qkv[(s0 + i) * 3 * width + h * d + e] * qkv[(s0 + j) * 3 * width + width + h * d + e];
                        p[j] = dot * scale;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j < len; j++) sum += p[j] = Math.exp(p[j] - max);
                    for (int j = 0; j < len; j++)
                        for (int e = 0; e < d; e++) out[(s0 + i) * width + h * d + e] += p[j] / sum * qkv[(s0 + j) * 3 * width + 2 * width + h * d + e];
                }
        }
        return out;
    }

    @Test
    void equalsReferenceOnEveryIsa() {
        int[][] shapes = {{12, 32}, {3, 7}, {1, 1}, {2, 64}};
        long[] starts = {0, 1, 6, 44, 108, 238};
        SplittableRandom r = new SplittableRandom(5);
        for (int[] shape : shapes) {
            int heads = shape[0], d = shape[1], tokens = (int) starts[starts.length - 1];
            float[] qkv = new float[tokens * 3 * heads * d];
            for (int i = 0; i < qkv.length; i++) qkv[i] = (float) (r.nextGaussian() * 2);
            double scale = 1 / Math.sqrt(d);
            double[] want = reference(qkv, starts, heads, d, scale);
            for (Isa isa : Isas.available()) {
                Isas.with(isa, () -> {
                    try (Arena arena = Arena.ofConfined()) {
                        Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, tokens, (long) heads * d);
                        Attention.selfAttention(Tensor.of(arena, qkv, tokens, 3L * heads * d), starts, heads, (float) scale, out);
                        float[] got = out.toFloatArray();
                        for (int i = 0; i < got.length; i++)
                            assertEquals(want[i], got[i], 2e-5 * (1 + Math.abs(want[i])), isa + " heads=" + heads + " d=" + d + " at " + i);
                    }
                });
            }
        }
    }

    @Test
    void paddingLeftInTheScratchByEarlierCallsDoesNotLeak() {
        // The kernel does not zero the padding of its per-thread scratch: a call over NaN leaves NaN
        // there, and shorter sequences afterwards (not whole 16-key blocks) must not see it.
        int heads = 12, d = 32, width = heads * d;
        for (Isa isa : Isas.available())
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    long[] poison = {0, 64, 128, 192, 256};
                    float[] nan = new float[256 * 3 * width];
                    java.util.Arrays.fill(nan, Float.NaN);
                    Attention.selfAttention(Tensor.of(arena, nan, 256, 3L * width), poison, heads, 0.2f,
                            Tensor.allocate(arena, DType.F32, Device.CPU, 256, width));
                    long[] starts = {0, 5, 43, 44, 70};
                    SplittableRandom r = new SplittableRandom(9);
                    float[] qkv = new float[70 * 3 * width];
                    for (int i = 0; i < qkv.length; i++) qkv[i] = (float) r.nextGaussian();
                    double[] want = reference(qkv, starts, heads, d, 0.2);
                    Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, 70, width);
                    Attention.selfAttention(Tensor.of(arena, qkv, 70, 3L * width), starts, heads, 0.2f, out);
                    float[] got = out.toFloatArray();
                    for (int i = 0; i < got.length; i++) assertEquals(want[i], got[i], 2e-5 * (1 + Math.abs(want[i])), isa + " at " + i);
                }
            });
    }

    @Test
    void badArgumentsAreClearErrors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor qkv = Tensor.allocate(arena, DType.F32, Device.CPU, 10, 36), out = Tensor.allocate(arena, DType.F32, Device.CPU, 10, 12);
            long[] ok = {0, 4, 10};
            Attention.selfAttention(qkv, ok, 3, 0.5f, out);
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, new long[] {0, 4, 9}, 3, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, new long[] {0, 4, 4, 10}, 3, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, new long[] {1, 10}, 3, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, new long[] {0}, 3, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 5, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 0, 0.5f, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 3, Float.NaN, out));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 3, 0.5f, Tensor.allocate(arena, DType.F32, Device.CPU, 10, 13)));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 3, 0.5f, Tensor.allocate(arena, DType.BF16, Device.CPU, 10, 12)));
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 3, 0.5f, qkv.slice(1, 0, 12)));
            assertThrows(NullPointerException.class, () -> Attention.selfAttention(qkv, null, 3, 0.5f, out));
            Tensor readOnly = Tensor.wrap(arena.allocate(10 * 12 * 4).asReadOnly(), DType.F32, 10, 12);
            assertThrows(IllegalArgumentException.class, () -> Attention.selfAttention(qkv, ok, 3, 0.5f, readOnly));
        }
        Arena closed = Arena.ofConfined();
        Tensor q = Tensor.allocate(closed, DType.F32, Device.CPU, 2, 3), o = Tensor.allocate(closed, DType.F32, Device.CPU, 2, 1);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Attention.selfAttention(q, new long[] {0, 2}, 1, 1f, o));
    }
}
