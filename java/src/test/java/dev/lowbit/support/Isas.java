package dev.lowbit.support;

import dev.lowbit.Isa;
import dev.lowbit.Lowbit;

import java.util.Arrays;
import java.util.List;

/** Runs test code under every CPU kernel variant this machine supports. */
public final class Isas {
    private Isas() {}

    /** Every variant up to the CPU's best (scalar always; AVX2 and AVX-512 where present). */
    public static List<Isa> available() {
        Isa best = Lowbit.bestIsa();
        return Arrays.stream(Isa.values()).filter(i -> i.ordinal() <= best.ordinal()).toList();
    }

    /** Runs {@code body} with {@code isa} active, restoring the previous variant afterwards. */
    public static void with(Isa isa, Runnable body) {
        Isa before = Lowbit.isa();
        Lowbit.setIsa(isa);
        try {
            body.run();
        } finally {
            Lowbit.setIsa(before);
        }
    }
}
