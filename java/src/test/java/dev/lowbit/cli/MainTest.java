package dev.lowbit.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
    }

    @Test
    void infoPrintsCpuAndCuda() {
        assertEquals(0, run("info"));
        String text = out.toString();
        assertTrue(text.startsWith("lowbit "), text);
        assertTrue(text.contains("cpu kernels: "), text);
        assertTrue(text.contains("cuda:"), text);
    }

    @Test
    void unknownCommandIsAUsageError() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString().startsWith("lowbit: unknown command 'frobnicate'"), err.toString());
        assertTrue(err.toString().contains("usage: lowbit <command>"), err.toString());
    }

    @Test
    void noArgumentsPrintsHelp() {
        assertEquals(0, run());
        assertTrue(out.toString().startsWith("usage: lowbit"), out.toString());
    }
}
