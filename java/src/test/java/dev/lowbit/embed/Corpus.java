package dev.lowbit.embed;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A fixed, varied corpus of English-like sentences (seeded, so every run sees the same texts). */
final class Corpus {
    private static final String[] SUBJECTS = {"The cat", "A young engineer", "Our team", "The old lighthouse keeper", "My neighbour",
            "The government", "A small startup in Berlin", "The orchestra", "Scientists at the institute", "The children", "This recipe",
            "The new GPU", "A quantized model", "The river", "Her grandmother", "The stock market", "The football club", "An astronaut"};
    private static final String[] VERBS = {"quickly explained", "never understood", "carefully measured", "painted", "sold", "described",
            "celebrated", "rejected", "compared", "built", "forgot", "translated", "optimised", "visited", "criticised", "ignored"};
    private static final String[] OBJECTS = {"the results of the experiment", "a red bicycle", "the meaning of life", "the quarterly report",
            "an ancient map of the city", "the matrix multiplication kernel", "three cups of coffee", "the weather forecast",
            "a song about the sea", "the rules of chess", "the broken window", "low-bit inference on CPUs", "a recipe for bread"};
    private static final String[] TAILS = {"", " yesterday", " before dawn", " with great care", ", which surprised everyone",
            " in 2024", " for the third time", " despite the rain", "!", "?", " (again)", " — twice", " at 3.14 pm", " in Zürich"};

    private Corpus() {}

    static List<String> sentences(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StringBuilder sb = new StringBuilder();
            int clauses = 1 + r.nextInt(i % 10 == 0 ? 6 : 2);
            for (int c = 0; c < clauses; c++) {
                if (c > 0) sb.append(r.nextBoolean() ? " and " : ". ");
                sb.append(pick(r, SUBJECTS)).append(' ').append(pick(r, VERBS)).append(' ').append(pick(r, OBJECTS)).append(pick(r, TAILS));
            }
            out.add(sb.toString());
        }
        return out;
    }

    private static String pick(SplittableRandom r, String[] a) {
        return a[r.nextInt(a.length)];
    }
}
