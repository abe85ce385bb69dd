package dev.lowbit.cli;

import dev.lowbit.ffi.NativeLibrary;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The packaged jar, used as a user would: {@code java -jar lowbit.jar info}. */
class CliIT {
    private static Path jar() {
        return Path.of(System.getProperty("lowbit.jar"));
    }

    private static Result java(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return new Result(p.waitFor(), out);
    }

    private record Result(int exit, String output) {}

    @Test
    void jarContainsTheNativeLibraryAndTheBindings() throws Exception {
        try (JarFile jar = new JarFile(jar().toFile())) {
            assertNotNull(jar.getEntry("dev/lowbit/native/" + NativeLibrary.platform() + "/liblowbit.so"), "no .so in " + jar());
            assertNotNull(jar.getEntry("dev/lowbit/bindings/lowbit_h.class"), "no bindings in " + jar());
            assertEquals("dev.lowbit.cli.Main", jar.getManifest().getMainAttributes().getValue("Main-Class"));
        }
    }

    @Test
    void infoRunsFromTheJarWithOrWithoutCuda() throws Exception {
        Result r = java("-jar", jar().toString(), "info");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("cpu:"), r.output());
        assertTrue(r.output().contains("no CUDA device") || r.output().contains("CUDA runtime"), r.output());
        assertTrue(!r.output().contains("WARNING: A restricted method"), "native access warning printed: " + r.output());
    }

    @Test
    void embedRunsFromTheJarWithTheBundledModel() throws Exception {
        Result r = java("-jar", jar().toString(), "embed", "--quiet", "Hello from the jar");
        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().startsWith("{\"index\":0,\"tokens\":6,\"embedding\":["), r.output());
        assertEquals(384, r.output().substring(r.output().indexOf('[')).split(",").length, r.output());
    }

    @Test
    void badLibraryOverrideFailsWithOneClearLine() throws Exception {
        Result r = java("-Dlowbit.library.path=/nonexistent/liblowbit.so", "-jar", jar().toString(), "info");
        assertEquals(1, r.exit(), r.output());
        assertEquals("lowbit: system property lowbit.library.path points to /nonexistent/liblowbit.so, which does not exist: "
                + "build liblowbit.so (./mvnw package) or unset it to use the one in the jar", r.output().strip());
    }
}
