package dev.lowbit.model.bert;

import java.util.SplittableRandom;

/**
 * Token id sequences of random ordinary word pieces for bert-base-uncased-style vocabularies
 * (ids 2000..29999; [CLS] = 101 and [SEP] = 102 around them), 12–64 tokens long: GPTQ's
 * calibration input and the benchmark's sentences, with no text corpus to ship.
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
            for (int t = 1; t < len - 1; t++) ids[s][t] = 2000 + r.nextInt(28000);
        }
        return ids;
    }
}
