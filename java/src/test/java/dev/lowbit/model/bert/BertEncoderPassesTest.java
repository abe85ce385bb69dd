package dev.lowbit.model.bert;

import dev.lowbit.Device;
import dev.lowbit.model.Quant;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A batch over the pass budget runs as several passes: the same bits as one pass, and errors name the caller's index. */
class BertEncoderPassesTest {
    @Test
    void passesOfBoundedTokensGiveTheSameBitsAsOnePass() {
        BertWeights w = RandomBert.weights(2, 2048, 3);
        int[][] ids = RandomSequences.of(9, new SplittableRandom(4));  // 12-64 tokens each
        for (int[] s : ids) for (int i = 0; i < s.length; i++) s[i] %= 2048;
        for (Quant quant : new Quant[] {Quant.W8A8, Quant.W8A8.withRotation(), Quant.F32}) {
            try (Arena arena = Arena.ofConfined()) {
                BertEncoder encoder = new BertEncoder(w, quant, Device.CPU, arena);
                float[][] whole = encoder.embed(ids, null, Integer.MAX_VALUE);
                // 100 tokens a pass: passes of one to several sequences, and a 64-token sequence alone past a full pass
                for (int budget : new int[] {100, 1}) {
                    float[][] parts = encoder.embed(ids, null, budget);
                    assertEquals(ids.length, parts.length);
                    for (int s = 0; s < ids.length; s++) assertArrayEquals(whole[s], parts[s], quant + " budget " + budget + " sequence " + s);
                }
                long[] nanos = new long[2];
                encoder.embed(ids, nanos, 100);
                assertTrue(nanos[0] > 0 && nanos[1] >= nanos[0], nanos[0] + " / " + nanos[1]);
            }
        }
    }

    @Test
    void aBadSequenceInALaterPassIsNamedByItsIndexInTheBatchBeforeAnyPassRuns() {
        BertWeights w = RandomBert.weights(1, 100, 5);
        try (Arena arena = Arena.ofConfined()) {
            BertEncoder encoder = new BertEncoder(w, Quant.F32, Device.CPU, arena);
            int[][] ids = {{1, 2, 3}, {4, 5}, {6, 7, 8, 9}, {1, 100}};
            long[] nanos = new long[2];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> encoder.embed(ids, nanos, 5));
            assertTrue(e.getMessage().startsWith("sequence 3: token id 100"), e.getMessage());
            assertEquals(0, nanos[0], "the whole batch is checked before its first pass runs");
            int[][] empty = {{1}, {}};
            e = assertThrows(IllegalArgumentException.class, () -> encoder.embed(empty, null, 1));
            assertTrue(e.getMessage().startsWith("sequence 1 has 0 tokens"), e.getMessage());
            int[][] missing = {{1}, {2}, null};
            e = assertThrows(IllegalArgumentException.class, () -> encoder.embed(missing, null, 1));
            assertEquals("sequence 2 is null", e.getMessage());
            assertThrows(NullPointerException.class, () -> encoder.embed(null, null));
        }
    }
}
