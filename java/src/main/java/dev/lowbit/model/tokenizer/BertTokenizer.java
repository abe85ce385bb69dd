package dev.lowbit.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lowbit.model.ModelFormatException;

import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * BERT WordPiece tokenization as HuggingFace's tokenizers library does it for a tokenizer.json with
 * a BertNormalizer, a BertPreTokenizer, a WordPiece model and a [CLS] $A [SEP] template:
 * <ol>
 *   <li>normalize: drop NUL, U+FFFD and control characters, map whitespace to ' ', put spaces around
 *       CJK ideographs, strip accents (NFD, then drop non-spacing marks), lower-case — per code point;</li>
 *   <li>pre-tokenize: split on whitespace, and make every punctuation character its own word;</li>
 *   <li>WordPiece: greedy longest match from the vocabulary, continuations prefixed "##"; a word
 *       longer than max_input_chars_per_word, or with no match, becomes [UNK];</li>
 *   <li>[CLS] ids [SEP], truncated so the whole fits maxLength.</li>
 * </ol>
 * Immutable and thread-safe.
 */
public final class BertTokenizer {
    private final Map<String, Integer> vocab;
    private final String unk, prefix;
    private final int unkId, clsId, sepId, maxWordChars, maxLength;
    private final boolean lowercase, stripAccents, chineseChars, cleanText;

    private BertTokenizer(JsonNode root) {
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText()))
            throw new ModelFormatException("tokenizer.json: model type '" + model.path("type").asText() + "', expected WordPiece");
        JsonNode v = model.path("vocab");
        if (!v.isObject() || v.isEmpty()) throw new ModelFormatException("tokenizer.json: WordPiece model without a vocab");
        vocab = new HashMap<>(v.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt()) throw new ModelFormatException("tokenizer.json: vocab id of '" + e.getKey() + "' is not an integer");
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        unk = model.path("unk_token").asText("[UNK]");
        prefix = model.path("continuing_subword_prefix").asText("##");
        maxWordChars = model.path("max_input_chars_per_word").asInt(100);
        JsonNode norm = root.path("normalizer");
        if (!norm.isMissingNode() && !norm.isNull() && !"BertNormalizer".equals(norm.path("type").asText()))
            throw new ModelFormatException("tokenizer.json: normalizer '" + norm.path("type").asText() + "', expected BertNormalizer");
        cleanText = norm.path("clean_text").asBoolean(true);
        chineseChars = norm.path("handle_chinese_chars").asBoolean(true);
        lowercase = norm.path("lowercase").asBoolean(true);
        JsonNode strip = norm.path("strip_accents");
        stripAccents = strip.isBoolean() ? strip.asBoolean() : lowercase;  // null: follows lowercase, as in BERT
        unkId = id(unk);
        clsId = id("[CLS]");
        sepId = id("[SEP]");
        JsonNode trunc = root.path("truncation");
        maxLength = trunc.isObject() ? trunc.path("max_length").asInt(512) : 512;
        if (maxLength < 2) throw new ModelFormatException("tokenizer.json: truncation max_length " + maxLength);
    }

    private int id(String token) {
        Integer i = vocab.get(token);
        if (i == null) throw new ModelFormatException("tokenizer.json: vocab has no '" + token + "'");
        return i;
    }

    public static BertTokenizer read(InputStream json) {
        try {
            return new BertTokenizer(new ObjectMapper().readTree(json));
        } catch (IOException e) {
            throw new ModelFormatException("tokenizer.json: not valid JSON: " + e.getMessage(), e);
        }
    }

    /** The default maximum sequence length (tokenizer.json's truncation max_length), [CLS] and [SEP] included. */
    public int maxLength() {
        return maxLength;
    }

    public int vocabSize() {
        return vocab.size();
    }

    /** Token ids of one text: [CLS], its word pieces (truncated), [SEP]. */
    public int[] encode(String text) {
        return encode(text, maxLength);
    }

    public int[] encode(String text, int maxLength) {
        if (maxLength < 2) throw new IllegalArgumentException("maxLength must be at least 2 ([CLS] and [SEP]), got " + maxLength);
        List<Integer> ids = new ArrayList<>();
        ids.add(clsId);
        for (String word : preTokenize(normalize(text))) {
            if (ids.size() > maxLength - 1) break;
            wordPiece(word, ids);
        }
        int n = Math.min(ids.size(), maxLength - 1);
        int[] out = new int[n + 1];
        for (int i = 0; i < n; i++) out[i] = ids.get(i);
        out[n] = sepId;
        return out;
    }

    String normalize(String text) {
        StringBuilder sb = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (cleanText) {
                if (c == 0 || c == 0xFFFD || isControl(c)) return;
                if (isWhitespace(c)) c = ' ';
            }
            if (chineseChars && isCjk(c)) sb.append(' ').appendCodePoint(c).append(' ');
            else sb.appendCodePoint(c);
        });
        String s = sb.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder t = new StringBuilder(nfd.length());
            nfd.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(t::appendCodePoint);
            s = t.toString();
        }
        if (lowercase) {
            StringBuilder t = new StringBuilder(s.length());
            // Per code point, as Rust's char::to_lowercase: no context rules (final sigma), and the
            // one unconditional multi-character mapping (U+0130 -> "i" + U+0307).
            s.codePoints().forEach(c -> {
                if (c == 0x130) t.append("i\u0307");
                else t.appendCodePoint(Character.toLowerCase(c));
            });
            s = t.toString();
        }
        return s;
    }

    static List<String> preTokenize(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        s.codePoints().forEach(c -> {
            if (isWhitespace(c)) {
                flush(cur, words);
            } else if (isPunctuation(c)) {
                flush(cur, words);
                words.add(new String(Character.toChars(c)));
            } else {
                cur.appendCodePoint(c);
            }
        });
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private void wordPiece(String word, List<Integer> ids) {
        int chars = word.codePointCount(0, word.length());
        if (chars > maxWordChars) {
            ids.add(unkId);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (end > start) {
                String sub = (start > 0 ? prefix : "") + word.substring(start, end);
                found = vocab.get(sub);
                if (found != null) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                ids.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        ids.addAll(pieces);
    }

    // Character classes as HuggingFace's BERT normalizer and pre-tokenizer define them.
    static boolean isWhitespace(int c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || isUnicodeWhiteSpace(c);
    }

    private static boolean isUnicodeWhiteSpace(int c) {
        // Rust's char::is_whitespace: the Unicode White_Space property.
        return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    // Cc, Cf, Cs, Co. Unassigned code points (Cn) are kept: HuggingFace's category tables have
    // no Cn entries, so its normalizer keeps them (and WordPiece makes them [UNK]).
    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.SURROGATE || t == Character.PRIVATE_USE;
    }

    static boolean isPunctuation(int c) {
        if (c < 128) return (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
        int t = Character.getType(c);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    static boolean isCjk(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
