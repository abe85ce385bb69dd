package dev.lowbit.model.bert;

import dev.lowbit.Device;
import dev.lowbit.model.Quant;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The encoder on a CUDA device against the same encoder on the CPU, with random BERT weights of MiniLM's shape (no
 * model file needed, so this runs on the GPU machine, where the 90 MB model does not travel). The GEMMs, layer norm,
 * GELU and quantizers give the CPU's bits or f32-rounding differences; attention and the W4A16 sums are reordered, so
 * embeddings agree to a cosine of 1 - 1e-5, not bit for bit.
 */
class BertEncoderCudaTest {
    static int[][] sequences(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] ids = new int[count][];
        for (int s = 0; s < count; s++) {
            ids[s] = new int[1 + r.nextInt(64)];
            for (int t = 0; t < ids[s].length; t++) ids[s][t] = r.nextInt(2048);
        }
        return ids;
    }

    @Test
    void cudaEncoderMatchesTheCpu() {
        Gpu.assumeCudaDevice();
        BertWeights w = RandomBert.weights(2, 2048, 1);
        int[][] ids = sequences(40, 2);
        StringBuilder failures = new StringBuilder();
        for (Quant q : List.of(Quant.W8A8, Quant.W8A8.withRotation(), Quant.W4A4.withRotation(), Quant.FP8, Quant.W4A16,
                Quant.W4A16.withRotation().withGroup(128), Quant.W4FP8.withRotation())) {
            // Both backends quantize the activations between layers, so a float difference of one ulp that flips one
            // code is carried on. An E4M3 code step is 1/16 to 1/8 of the value itself (int8: 1/127 of the row's
            // largest), so the FP8-activation modes get a wider bar; the kernels' own tests hold the exact bars.
            double bar = q.scheme() == Quant.Scheme.FP8 || q.scheme() == Quant.Scheme.W4FP8 ? 1e-3 : 1e-5;
            double worst = 1;
            try (Arena arena = Arena.ofConfined()) {
                float[][] cpu = new BertEncoder(w, q, Device.CPU, arena).embed(ids);
                BertEncoder gpu = new BertEncoder(w, q, Device.cuda(0), arena);
                float[][] got = gpu.embed(ids), again = gpu.embed(ids);
                for (int s = 0; s < ids.length; s++) {
                    double dot = 0;
                    for (int j = 0; j < cpu[s].length; j++) dot += (double) cpu[s][j] * got[s][j];
                    worst = Math.min(worst, dot);
                    for (int j = 0; j < got[s].length; j++) assertEquals(got[s][j], again[s][j], q.cliName() + ": a second call differs");
                }
            }
            System.out.printf("cosine(cpu, cuda) %-12s lowest %.7f (bar %.7f)%n", q.cliName(), worst, 1 - bar);
            if (worst <= 1 - bar) failures.append(q.cliName()).append(": lowest cosine(cpu, cuda) = ").append(worst).append("; ");
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }

    @Test
    void timingsAndRandomWeightsCheckTheirArguments() {
        BertWeights w = RandomBert.weights(1, 2048, 4);
        int[][] ids = sequences(3, 5);
        try (Arena arena = Arena.ofConfined()) {
            BertEncoder cpu = new BertEncoder(w, Quant.W8A8, Device.CPU, arena);
            long[] nanos = new long[2];
            cpu.embed(ids, nanos);
            assertTrue(nanos[0] > 0 && nanos[1] >= nanos[0], java.util.Arrays.toString(nanos));
            var e = assertThrows(IllegalArgumentException.class, () -> cpu.embed(ids, new long[1]));
            assertEquals("nanos needs 2 slots (layers, whole call), got 1", e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class, () -> RandomBert.weights(0, 2048, 1));
        assertEquals("needs layers >= 1 and vocab >= 1, got 0 and 2048", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RandomBert.weights(1, 0, 1));
    }

    @Test
    void modesWithoutCudaKernelsAreRefusedByName() {
        BertWeights w = RandomBert.weights(1, 2048, 3);
        try (Arena arena = Arena.ofConfined()) {
            for (Quant q : List.of(Quant.F32, Quant.W4A8, Quant.W4A16.withMseClip().withAwq(), Quant.W4FP8.withGroup(48))) {
                var e = assertThrows(IllegalArgumentException.class, () -> new BertEncoder(w, q, Device.cuda(0), arena));
                assertTrue(e.getMessage().startsWith(q.cliName() + " does not run on cuda:0: "), e.getMessage());
            }
        }
    }
}
