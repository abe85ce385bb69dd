package dev.lowbit.norm;

import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** lb_layer_norm on CUDA gives the CPU's bits (same operations, same order). Skips without a GPU. */
class LayerNormCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    private static float[] random(SplittableRandom r, int n, double mean, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (mean + r.nextGaussian() * sd);
        return v;
    }

    @Test
    void equalsTheCpuBitForBit() {
        // columns below, at and off the 16 lanes; a large mean against the spread; one row and many
        int[][] shapes = {{1, 1}, {3, 17}, {33, 384}, {100, 1000}, {7, 4096}, {1000, 16}};
        SplittableRandom r = new SplittableRandom(9);
        for (int[] s : shapes) {
            int rows = s[0], cols = s[1];
            float[] x = random(r, rows * cols, 100, 3), res = random(r, rows * cols, 0, 1), g = random(r, cols, 1, 0.2), b = random(r, cols, 0, 0.5);
            try (Arena arena = Arena.ofConfined()) {
                Tensor cx = Tensor.of(arena, x, rows, cols), cr = Tensor.of(arena, res, rows, cols);
                Tensor cg = Tensor.of(arena, g, cols), cb = Tensor.of(arena, b, cols);
                Tensor gx = cx.to(GPU, arena), gr = cr.to(GPU, arena), gg = cg.to(GPU, arena), gb = cb.to(GPU, arena);
                for (boolean withResidual : new boolean[] {false, true})
                    for (boolean withBeta : new boolean[] {false, true}) {
                        Tensor cpu = Tensor.of(arena, new float[rows * cols], rows, cols), gpu = cpu.to(GPU, arena);
                        LayerNorm.apply(cx, withResidual ? cr : null, cg, withBeta ? cb : null, 1e-12f, cpu);
                        LayerNorm.apply(gx, withResidual ? gr : null, gg, withBeta ? gb : null, 1e-12f, gpu);
                        assertArrayEquals(cpu.toFloatArray(), gpu.to(Device.CPU, arena).toFloatArray(),
                                rows + "x" + cols + " residual=" + withResidual + " beta=" + withBeta);
                    }
                // In place over the residual, as the encoder runs it.
                Tensor cpuIn = Tensor.of(arena, res, rows, cols), gpuIn = cpuIn.to(GPU, arena);
                LayerNorm.apply(cx, cpuIn, cg, cb, 1e-5f, cpuIn);
                LayerNorm.apply(gx, gpuIn, gg, gb, 1e-5f, gpuIn);
                assertArrayEquals(cpuIn.toFloatArray(), gpuIn.to(Device.CPU, arena).toFloatArray(), rows + "x" + cols + " in place");
            }
        }
    }
}
