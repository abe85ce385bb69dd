package dev.lowbit.embedding;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Embedding lookup and mean pooling against plain-Java references (the same operations in the same order: the same bits). */
class EmbeddingsTest {
    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Batches of sequence lengths (hidden sizes below, at and off the 16 norm lanes). */
    static final int[][] LENGTHS = {{1}, {3, 1, 7}, {12, 64, 33, 5}, {200}};
    static final int[] HIDDEN = {1, 16, 37, 384};

    static long[] starts(int[] lengths) {
        long[] s = new long[lengths.length + 1];
        for (int i = 0; i < lengths.length; i++) s[i + 1] = s[i] + lengths[i];
        return s;
    }

    static float[] referenceLookup(float[] word, float[] position, float[] type, int[] ids, long[] starts, int hidden) {
        float[] out = new float[ids.length * hidden];
        for (int s = 0; s + 1 < starts.length; s++)
            for (int t = (int) starts[s]; t < starts[s + 1]; t++)
                for (int j = 0; j < hidden; j++) {
                    float w = word[ids[t] * hidden + j], p = position[(t - (int) starts[s]) * hidden + j];
                    out[t * hidden + j] = type == null ? w + p : (w + type[j]) + p;
                }
        return out;
    }

    static float[] referencePool(float[] x, long[] starts, int hidden, boolean normalize) {
        int n = starts.length - 1;
        float[] out = new float[n * hidden];
        for (int s = 0; s < n; s++) {
            float rows = starts[s + 1] - starts[s];
            for (int j = 0; j < hidden; j++) {
                float sum = 0f;
                for (long r = starts[s]; r < starts[s + 1]; r++) sum += x[(int) r * hidden + j];
                out[s * hidden + j] = sum / rows;
            }
            if (!normalize) continue;
            float[] lane = new float[16];
            for (int j = 0; j < hidden; j++) lane[j % 16] += out[s * hidden + j] * out[s * hidden + j];
            float squared = 0f;
            for (float l : lane) squared += l;
            float inv = 1f / Math.max((float) Math.sqrt(squared), 1e-12f);
            for (int j = 0; j < hidden; j++) out[s * hidden + j] *= inv;
        }
        return out;
    }

    @Test
    void lookupAndPoolEqualTheReferenceBitForBit() {
        SplittableRandom r = new SplittableRandom(5);
        int vocab = 50, maxPositions = 256;
        for (int hidden : HIDDEN)
            for (int[] lengths : LENGTHS) {
                long[] seqStarts = starts(lengths);
                int tokens = (int) seqStarts[lengths.length];
                float[] word = random(r, vocab * hidden), position = random(r, maxPositions * hidden), type = random(r, hidden);
                int[] ids = r.ints(tokens, 0, vocab).toArray();
                try (Arena arena = Arena.ofConfined()) {
                    Tensor w = Tensor.of(arena, word, vocab, hidden), p = Tensor.of(arena, position, maxPositions, hidden), ty = Tensor.of(arena, type, hidden);
                    Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, tokens, hidden);
                    for (boolean withType : new boolean[] {true, false}) {
                        Embeddings.lookup(w, p, withType ? ty : null, ids, seqStarts, out);
                        assertArrayEquals(referenceLookup(word, position, withType ? type : null, ids, seqStarts, hidden), out.toFloatArray(),
                                "lookup hidden " + hidden + " lengths " + java.util.Arrays.toString(lengths) + " type " + withType);
                    }
                    Tensor pooled = Tensor.allocate(arena, DType.F32, Device.CPU, lengths.length, hidden);
                    for (boolean normalize : new boolean[] {true, false}) {
                        Embeddings.meanPool(out, seqStarts, normalize, pooled);
                        assertArrayEquals(referencePool(out.toFloatArray(), seqStarts, hidden, normalize), pooled.toFloatArray(),
                                "pool hidden " + hidden + " lengths " + java.util.Arrays.toString(lengths) + " normalize " + normalize);
                    }
                }
            }
    }

    @Test
    void poolingAZeroSequenceGivesZeroNotNaN() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 3, 8), out = Tensor.allocate(arena, DType.F32, Device.CPU, 1, 8);
            Embeddings.meanPool(x, new long[] {0, 3}, true, out);
            assertArrayEquals(new float[8], out.toFloatArray());
        }
    }

    @Test
    void badArgumentsAreClearErrors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.F32, Device.CPU, 10, 8), p = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 8);
            Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, 5, 8);
            int[] ids = {1, 2, 3, 9, 0};
            long[] starts = {0, 3, 5};
            Embeddings.lookup(w, p, null, ids, starts, out);
            var e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, new int[] {1, 2, 10, 0, 0}, starts, out));
            assertEquals("ids[2] = 10 is outside the vocabulary of 10", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, new int[] {1, -1, 1, 0, 0}, starts, out));
            assertTrue(e.getMessage().startsWith("ids[1] = -1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, new long[] {0, 5}, out));
            assertEquals("sequence 0 has 5 rows, more than 4", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, new long[] {0, 3, 3, 5}, out));
            assertTrue(e.getMessage().startsWith("sequence 1 is empty"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, new long[] {0, 3, 4}, out));
            assertTrue(e.getMessage().startsWith("seqStarts must run from 0 to tokens = 5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 7), null, ids, starts, out));
            assertTrue(e.getMessage().startsWith("position has shape [4, 7]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, Tensor.allocate(arena, DType.F32, Device.CPU, 7), ids, starts, out));
            assertTrue(e.getMessage().startsWith("typeRow has shape [7]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, starts, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 8)));
            assertTrue(e.getMessage().startsWith("out has shape [4, 8]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, starts, Tensor.allocate(arena, DType.BF16, Device.CPU, 5, 8)));
            assertTrue(e.getMessage().startsWith("out has dtype BF16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, starts, w.slice(0, 0, 5)));
            assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
            Tensor readOnly = Tensor.wrap(arena.allocate(5 * 8 * 4).asReadOnly(), DType.F32, 5, 8);
            assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, ids, starts, readOnly));
            assertThrows(NullPointerException.class, () -> Embeddings.lookup(w, p, null, null, starts, out));
            assertThrows(NullPointerException.class, () -> Embeddings.lookup(w, p, null, ids, null, out));
            assertThrows(NullPointerException.class, () -> Embeddings.lookup(null, p, null, ids, starts, out));

            Tensor pooled = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 8);
            Embeddings.meanPool(out, starts, true, pooled);
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.meanPool(out, starts, true, Tensor.allocate(arena, DType.F32, Device.CPU, 3, 8)));
            assertTrue(e.getMessage().startsWith("out has shape [3, 8]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.meanPool(out, new long[] {0, 6}, true, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 8)));
            assertTrue(e.getMessage().startsWith("seqStarts must run from 0 to tokens = 5"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.meanPool(out, starts, true, out.slice(0, 0, 2)));
            assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Embeddings.meanPool(out.reshape(40), starts, true, pooled));
            assertTrue(e.getMessage().startsWith("x has shape [40]"), e.getMessage());
        }
        Arena closed = Arena.ofConfined();
        Tensor x = Tensor.allocate(closed, DType.F32, Device.CPU, 2, 3), out = Tensor.allocate(closed, DType.F32, Device.CPU, 1, 3);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Embeddings.meanPool(x, new long[] {0, 2}, true, out));
    }
}
