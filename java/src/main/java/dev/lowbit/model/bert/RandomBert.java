package dev.lowbit.model.bert;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random BERT weights with all-MiniLM-L6-v2's shapes (hidden 384, 12 heads, FFN 1536, 512 positions): for tests and
 * benchmarks where the real model is not available — the GPU machine, which the 90 MB model file does not reach.
 * Speed depends on shapes only, so throughput measured on these equals the real model's; accuracy does not.
 * Linear weights ~ N(0, 1/in) (activations keep their scale through the layers), layer norm gains ~ 1 ± 0.1.
 */
public final class RandomBert {
    public static final int HIDDEN = 384, HEADS = 12, FFN = 1536, POSITIONS = 512;

    private RandomBert() {}

    /** {@code layers} encoder layers over a vocabulary of {@code vocab} word pieces, drawn from {@code seed}. */
    public static BertWeights weights(int layers, int vocab, long seed) {
        if (layers < 1 || vocab < 1) throw new IllegalArgumentException("needs layers >= 1 and vocab >= 1, got " + layers + " and " + vocab);
        SplittableRandom r = new SplittableRandom(seed);
        List<BertWeights.Layer> list = new ArrayList<>();
        for (int i = 0; i < layers; i++)
            list.add(new BertWeights.Layer(linear(r, HIDDEN, HIDDEN), linear(r, HIDDEN, HIDDEN), linear(r, HIDDEN, HIDDEN),
                    linear(r, HIDDEN, HIDDEN), norm(r, HIDDEN), linear(r, HIDDEN, FFN), linear(r, FFN, HIDDEN), norm(r, HIDDEN)));
        return new BertWeights(HIDDEN, HEADS, vocab, POSITIONS, gaussian(r, vocab * HIDDEN, 0.05), gaussian(r, POSITIONS * HIDDEN, 0.02),
                gaussian(r, 2 * HIDDEN, 0.02), norm(r, HIDDEN), list);
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
}
