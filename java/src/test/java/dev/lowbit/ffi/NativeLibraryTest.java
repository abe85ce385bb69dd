package dev.lowbit.ffi;

import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every way loading can go wrong ends in one {@link LowbitException} that says what, where and what to do. */
class NativeLibraryTest {
    @Test
    void missingOverrideFile(@TempDir Path dir) {
        Path missing = dir.resolve("nope/liblowbit.so");
        var e = assertThrows(LowbitException.class, () -> NativeLibrary.checkOverride(missing.toString(), "system property lowbit.library.path"));
        assertEquals(LowbitException.Status.LOAD_FAILED, e.status());
        assertTrue(e.getMessage().startsWith("system property lowbit.library.path points to " + missing), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void overrideThatIsADirectory(@TempDir Path dir) {
        var e = assertThrows(LowbitException.class, () -> NativeLibrary.checkOverride(dir.toString(), "environment variable LOWBIT_LIBRARY_PATH"));
        assertTrue(e.getMessage().endsWith("which is not a readable file"), e.getMessage());
    }

    @Test
    void fileThatIsNoSharedLibrary(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("liblowbit.so"), "not an ELF file");
        var e = assertThrows(LowbitException.class, () -> NativeLibrary.verifySymbols(text));
        assertTrue(e.getMessage().startsWith("could not open " + text + " as a shared library"), e.getMessage());
    }

    @Test
    void sharedLibraryThatIsNotLowbit() {
        Path libm = Path.of("/lib/x86_64-linux-gnu/libm.so.6");
        assumeTrue(Files.exists(libm), "no " + libm + " on this machine");
        var e = assertThrows(LowbitException.class, () -> NativeLibrary.verifySymbols(libm));
        assertTrue(e.getMessage().startsWith(libm + " is not a matching liblowbit.so: it lacks "
                + NativeLibrary.boundFunctions().size() + " function(s) of lowbit.h"), e.getMessage());
    }

    @Test
    void theLoadedLibraryPassesItsOwnChecks() {
        NativeLibrary.verifySymbols(Lowbit.libraryPath());
        assertEquals(Native.bindingsAbiVersion(), Native.abiVersion());
    }

    @Test
    void platformNameIsOsDashArch() {
        assertTrue(NativeLibrary.platform().matches("[a-z]+-[a-z0-9_]+"), NativeLibrary.platform());
    }

    /** End to end in a fresh JVM: a bad override reaches the caller as the loader's message, exit code 1. */
    @Test
    void badOverrideInAFreshJvm(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("liblowbit.so");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-D" + NativeLibrary.PATH_PROPERTY + "=" + missing,
                "-cp", classPathOf(dev.lowbit.cli.Main.class, dev.lowbit.bindings.lowbit_h.class), "dev.lowbit.cli.Main", "info")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(1, p.waitFor(), out);
        assertTrue(out.startsWith("lowbit: system property lowbit.library.path points to " + missing), out);
    }

    /** Where these classes were loaded from (not java.class.path: launchers such as the JUnit console differ). */
    private static String classPathOf(Class<?>... classes) throws Exception {
        java.util.Set<String> entries = new java.util.LinkedHashSet<>();
        for (Class<?> c : classes) entries.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        return String.join(java.io.File.pathSeparator, entries);
    }
}
