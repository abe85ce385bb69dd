package dev.lowbit.model.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.lowbit.model.ModelFormatException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** lowbit's WordPiece tokenizer produces exactly HuggingFace's ids (through DJL's binding of the Rust library). */
class BertTokenizerTest {
    static final String RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
    private static BertTokenizer lowbit;
    private static HuggingFaceTokenizer hf;

    @BeforeAll
    static void load() throws Exception {
        try (InputStream in = BertTokenizerTest.class.getResourceAsStream(RESOURCE)) {
            lowbit = BertTokenizer.read(in);
        }
        Path tmp = Files.createTempFile("tokenizer", ".json");
        try (InputStream in = BertTokenizerTest.class.getResourceAsStream(RESOURCE)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        hf = HuggingFaceTokenizer.builder().optTokenizerPath(tmp).optPadding(false).optTruncation(true)
                .optMaxLength(lowbit.maxLength()).build();
        Files.delete(tmp);
    }

    @AfterAll
    static void close() {
        hf.close();
    }

    static List<String> corpus() {
        List<String> texts = new ArrayList<>(List.of(
                "Hello, world!", "The quick brown fox jumps over the lazy dog.", "", "   ", "a",
                "Café naïve résumé Ångström façade coöperate", "ÀÉÎÕÜ àéîõü ñ Ñ ç Ç ß ẞ", "İstanbul ıI Iİ", "ΟΔΟΣ ΣΊΣΥΦΟΣ σς",
                "中文字符测试，包括标点。", "日本語のテキストとカタカナ", "한국어 문장입니다", "混合 mixed 文本 text",
                "emoji 🚀🔥👍🏽 and ZWJ 👩‍👩‍👧 family", "smile :-) ;-) <3", "tabs\tand\nnewlines\r\nand\u000bvertical",
                "zero\u200bwidth\u200cjoiners\u200d", "control\u0001\u0002chars\u007f", "replacement \uFFFD char", "nul\u0000byte",
                "\"quotes\" 'single' «guillemets» „German“ ‘curly’", "dashes - – — ‐ and ellipsis … and bullets • ·",
                "math 1+1=2, x^2 < y, a|b, ~tilde, `backtick`, $5.99, 50%, #hash, @user, &amp;",
                "URL https://example.com/path?query=1&x=y#frag and email a.b@c.org",
                "numbers 3.14159 1,000,000 2026-11-25 12:30:45", "UPPER lower MiXeD CamelCaseWord snake_case_word kebab-case-word",
                "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
                "x".repeat(101), "y".repeat(100), "ab".repeat(60) + " end", "Arabic العربية Hebrew עברית Thai ภาษาไทย Hindi हिन्दी",
                "Cyrillic Кириллица ЁЖИК ёжик", "fullwidth ＡＢＣ１２３！", "ligatures ﬁ ﬂ ﬀ", "combining e\u0301 a\u0308 n\u0303",
                "private use \uE000\uF8FF", "surrogates 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛", "ideographic space\u3000here", "no-break\u00a0space and\u2009thin"));
        texts.add(String.join(" ", java.util.Collections.nCopies(400, "long text with many words")));
        SplittableRandom r = new SplittableRandom(42);
        int[][] pools = {{0x20, 0x7e}, {0xa0, 0x24f}, {0x370, 0x3ff}, {0x400, 0x4ff}, {0x3040, 0x30ff}, {0x4e00, 0x4fff},
                {0xac00, 0xac80}, {0x2000, 0x206f}, {0x1f300, 0x1f64f}, {0x0, 0x1f}, {0x300, 0x36f}, {0xff00, 0xff5e}};
        for (int i = 0; i < 2000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + r.nextInt(60);
            for (int j = 0; j < len; j++) {
                int[] p = pools[r.nextInt(pools.length)];
                int c = p[0] + r.nextInt(p[1] - p[0] + 1);
                if (r.nextInt(5) == 0) c = ' ';
                if (Character.isSurrogate((char) c)) c = 'x';
                sb.appendCodePoint(c);
            }
            texts.add(sb.toString());
        }
        return texts;
    }

    @Test
    void idsEqualHuggingFace() {
        int checked = 0;
        for (String t : corpus()) {
            Encoding e = hf.encode(t);
            long[] want = e.getIds();
            int[] got = lowbit.encode(t);
            assertArrayEquals(want, Arrays.stream(got).asLongStream().toArray(), () -> "text: " + escape(t));
            checked++;
        }
        assertEquals(corpus().size(), checked);
    }

    @Test
    void truncatesToMaxLengthKeepingSep() {
        int[] ids = lowbit.encode("word ".repeat(1000), 16);
        assertEquals(16, ids.length);
        assertEquals(101, ids[0]);
        assertEquals(102, ids[15]);
        assertThrows(IllegalArgumentException.class, () -> lowbit.encode("x", 1));
    }

    @Test
    void badFilesAreClearErrors() {
        assertThrows(ModelFormatException.class, () -> read("{not json"));
        assertThrows(ModelFormatException.class, () -> read("{\"model\": {\"type\": \"BPE\"}}"));
        assertThrows(ModelFormatException.class, () -> read("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}"));
        assertThrows(ModelFormatException.class, () -> read("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}}"));
        assertThrows(ModelFormatException.class, () -> read("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": \"x\"}}}"));
        var ok = read("{\"model\": {\"type\": \"WordPiece\", \"vocab\": " + vocabJson(Map.of("[UNK]", 0, "[CLS]", 1, "[SEP]", 2, "hi", 3)) + "}}");
        assertArrayEquals(new int[] {1, 3, 0, 2}, ok.encode("hi there"));
    }

    private static String vocabJson(Map<String, Integer> v) {
        StringBuilder sb = new StringBuilder("{");
        v.forEach((k, id) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(id));
        return sb.append('}').toString();
    }

    private static BertTokenizer read(String json) {
        return BertTokenizer.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (c < 0x20 || c > 0x7e) sb.append(String.format("\\u{%x}", c));
            else sb.appendCodePoint(c);
        });
        return sb.toString();
    }
}
