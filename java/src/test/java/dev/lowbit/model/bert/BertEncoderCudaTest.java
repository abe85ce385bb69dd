package dev.lowbit.model.bert;

import dev.lowbit.Device;
import dev.lowbit.model.Quant;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
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
    /** Random weights: hidden 384, 12 heads, FFN 1536 as MiniLM, `layers` layers, a 2048-word vocabulary. */
    static BertWeights randomWeights(int layers, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int h = 384, ffn = 1536, vocab = 2048, positions = 512;
        List<BertWeights.Layer> list = new ArrayList<>();
        for (int i = 0; i < layers; i++)
            list.add(new BertWeights.Layer(linear(r, h, h), linear(r, h, h), linear(r, h, h), linear(r, h, h), norm(r, h), linear(r, h, ffn),
                    linear(r, ffn, h), norm(r, h)));
        return new BertWeights(h, 12, vocab, positions, gaussian(r, vocab * h, 0.05), gaussian(r, positions * h, 0.02), gaussian(r, 2 * h, 0.02),
                norm(r, h), list);
    }

    private static float[] gaussian(SplittableRandom r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * sd);
        return v;
    }

    private static BertWeights.Linear linear(SplittableRandom r, int in, int out) {
        return new BertWeights.Linear(gaussian(r, in * out, 1 / Math.sqrt(in)), gaussian(r, out, 0.02), in, out);
    }

    private static BertWeights.LayerNorm norm(SplittableRandom r, int n) {
        float[] g = gaussian(r, n, 0.1);
        for (int i = 0; i < n; i++) g[i] += 1;
        return new BertWeights.LayerNorm(g, gaussian(r, n, 0.05), 1e-12f);
    }

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
        BertWeights w = randomWeights(2, 1);
        int[][] ids = sequences(40, 2);
        for (Quant q : List.of(Quant.W8A8, Quant.W8A8.withRotation(), Quant.FP8, Quant.W4A16, Quant.W4A16.withRotation().withGroup(128))) {
            try (Arena arena = Arena.ofConfined()) {
                float[][] cpu = new BertEncoder(w, q, Device.CPU, arena).embed(ids);
                BertEncoder gpu = new BertEncoder(w, q, Device.cuda(0), arena);
                float[][] got = gpu.embed(ids), again = gpu.embed(ids);
                for (int s = 0; s < ids.length; s++) {
                    double dot = 0;
                    for (int j = 0; j < cpu[s].length; j++) dot += (double) cpu[s][j] * got[s][j];
                    assertTrue(dot > 1 - 1e-5, q.cliName() + " sequence " + s + ": cosine(cpu, cuda) = " + dot);
                    for (int j = 0; j < got[s].length; j++) assertEquals(got[s][j], again[s][j], q.cliName() + ": a second call differs");
                }
            }
        }
    }

    @Test
    void modesWithoutCudaKernelsAreRefusedByName() {
        BertWeights w = randomWeights(1, 3);
        try (Arena arena = Arena.ofConfined()) {
            for (Quant q : List.of(Quant.F32, Quant.W4A4, Quant.W4A8, Quant.W4FP8, Quant.W4A16.withMseClip().withAwq())) {
                var e = assertThrows(IllegalArgumentException.class, () -> new BertEncoder(w, q, Device.cuda(0), arena));
                assertTrue(e.getMessage().startsWith(q.cliName() + " does not run on cuda:0: "), e.getMessage());
            }
        }
    }
}
