package dev.lowbit.model.bert;

import java.util.SplittableRandom;

/**
 * Token id sequences of random word pieces for bert-base-uncased-style vocabularies, 12–64 tokens
 * long: [CLS] (101), pieces with ids from 1996 up drawn log-uniformly (so Zipf-like: that vocabulary
 * lists frequent words first, and text is mostly frequent words), about 6% commas (1010), a final
 * period (1012), [SEP] (102). The calibration input of GPTQ/AWQ and the benchmark's sentences, with
 * no text corpus to ship; it calibrates clearly better than uniformly drawn pieces (cosine of
 * w4a16-g32-gptq 0.9764 vs 0.9738).
 */
public final class RandomSequences {
    private RandomSequences() {}

    public static int[][] of(int count, SplittableRandom r) {
        int[][] ids = new int[count][];
        for (int s = 0; s < count; s++) {
            int len = 12 + r.nextInt(53);
            ids[s] = new int[len];
            ids[s][0] = 101;
            ids[s][len - 1] = 102;
            for (int t = 1; t < len - 1; t++) {
                double u = r.nextDouble();
                ids[s][t] = u < 0.06 ? 1010 : 1996 + (int) Math.floor(Math.exp(r.nextDouble() * Math.log(28000))) - 1;
            }
            if (len > 3) ids[s][len - 2] = 1012;
        }
        return ids;
    }
}
