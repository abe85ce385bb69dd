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
        try (Arena arena = Arena.ofConfined()) {
            float[][] exact = new BertEncoder(w, Quant.F32, Device.CPU, arena).embed(ids);
            for (Quant q : List.of(Quant.W8A8, Quant.W8A8.withRotation(), Quant.W4A4.withRotation(), Quant.FP8, Quant.W4A16,
                    Quant.W4A16.withRotation().withGroup(128), Quant.W4FP8.withRotation())) {
                // Both backends quantize the activations between layers, so a float difference of one ulp that flips
                // one code is carried on. An E4M3 code step is 1/16 to 1/8 of the value itself (int8: 1/127 of the
                // row's largest), and the FP8 wgmma GEMM sums at the tensor cores' precision (about 2^-13 of sum |a b|
                // a 128-deep stage, measured by peer_gemm.py, where the CPU and mma.sync sum in f32), so the
                // FP8-activation modes flip more codes and get a wider bar; the kernels' own tests hold the exact bars.
                boolean fp8 = q.scheme() == Quant.Scheme.FP8 || q.scheme() == Quant.Scheme.W4FP8;
                double bar = fp8 ? 2e-3 : 1e-5;
                float[][] cpu = new BertEncoder(w, q, Device.CPU, arena).embed(ids);
                BertEncoder gpu = new BertEncoder(w, q, Device.cuda(0), arena);
                float[][] got = gpu.embed(ids), again = gpu.embed(ids);
                for (int s = 0; s < ids.length; s++)
                    for (int j = 0; j < got[s].length; j++) assertEquals(got[s][j], again[s][j], q.cliName() + ": a second call differs");
                double worst = lowestCosine(cpu, got);
                // What a user sees: each backend's distance from the unquantized encoder. The CUDA one may not be
                // worse than twice the CPU's (mean over the sequences), whatever the bars above allow.
                double cpuLoss = meanCosineLoss(exact, cpu), cudaLoss = meanCosineLoss(exact, got);
                System.out.printf("cosine(cpu, cuda) %-14s lowest %.7f (bar %.7f); 1 - cosine to f32, mean: cpu %.2e, cuda %.2e%n",
                        q.cliName(), worst, 1 - bar, cpuLoss, cudaLoss);
                if (worst <= 1 - bar) failures.append(q.cliName()).append(": lowest cosine(cpu, cuda) = ").append(worst).append("; ");
                if (cudaLoss > 2 * cpuLoss + 1e-5)
                    failures.append(q.cliName()).append(": cuda is further from f32 (").append(cudaLoss).append(") than cpu (").append(cpuLoss).append("); ");
            }
        }
        assertTrue(failures.isEmpty(), failures.toString());
    }

    // Embeddings are L2-normalised: the dot product is the cosine.
    private static double lowestCosine(float[][] a, float[][] b) {
        double worst = 1;
        for (int s = 0; s < a.length; s++) worst = Math.min(worst, dot(a[s], b[s]));
        return worst;
    }

    private static double meanCosineLoss(float[][] a, float[][] b) {
        double loss = 0;
        for (int s = 0; s < a.length; s++) loss += 1 - dot(a[s], b[s]);
        return loss / a.length;
    }

    private static double dot(float[] a, float[] b) {
        double dot = 0;
        for (int j = 0; j < a.length; j++) dot += (double) a[j] * b[j];
        return dot;
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
