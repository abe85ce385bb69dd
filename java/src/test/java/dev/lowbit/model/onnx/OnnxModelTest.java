package dev.lowbit.model.onnx;

import dev.lowbit.embed.Embedder;
import dev.lowbit.model.ModelFormatException;
import dev.lowbit.model.bert.BertGraph;
import dev.lowbit.model.bert.BertWeights;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OnnxModelTest {
    private static byte[] file;

    @BeforeAll
    static void load() throws Exception {
        file = OnnxModelTest.class.getResourceAsStream(Embedder.MINILM_ONNX).readAllBytes();
    }

    @Test
    void readsMiniLm() {
        OnnxModel m = OnnxModel.read(ByteBuffer.wrap(file));
        assertEquals("pytorch", m.producer());
        assertEquals(java.util.List.of("input_ids", "attention_mask", "token_type_ids"), m.inputs());
        BertWeights w = BertGraph.weights(m);
        assertEquals(384, w.hidden());
        assertEquals(12, w.heads());
        assertEquals(6, w.layers().size());
        assertEquals(30522, w.vocab());
        assertEquals(1536, w.layers().get(0).up().out());
        assertEquals(1e-12f, w.embeddingNorm().eps());
    }

    /** Truncations and random byte damage end in ModelFormatException (or, rarely, a graph that still parses), never anything else. */
    @Test
    void corruptFilesFailCleanly() {
        int[] cuts = {0, 1, 2, 7, 100, 1000, 4096, file.length / 3, file.length / 2, file.length - 1000, file.length - 1};
        for (int cut : cuts) {
            byte[] part = Arrays.copyOf(file, cut);
            assertThrows(ModelFormatException.class, () -> BertGraph.weights(OnnxModel.read(ByteBuffer.wrap(part))), "cut at " + cut);
        }
        SplittableRandom r = new SplittableRandom(3);
        int failures = 0;
        for (int i = 0; i < 100; i++) {
            byte[] bad = file.clone();
            // Damage the structure (the first 64 KiB hold the graph's nodes and the first tensor headers).
            for (int j = 0; j < 8; j++) bad[r.nextInt(65536)] = (byte) r.nextInt(256);
            try {
                BertGraph.weights(OnnxModel.read(ByteBuffer.wrap(bad)));
            } catch (ModelFormatException e) {
                failures++;
                assertTrue(e.getMessage().length() > 10);
            }
        }
        assertTrue(failures > 0, "no damaged file was rejected");
        assertThrows(ModelFormatException.class, () -> OnnxModel.read(ByteBuffer.wrap("not an onnx file at all".getBytes())));
    }
}
