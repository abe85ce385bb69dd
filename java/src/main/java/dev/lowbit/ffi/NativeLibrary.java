package dev.lowbit.ffi;

import dev.lowbit.LowbitException;
import dev.lowbit.LowbitException.Status;
import dev.lowbit.bindings.lowbit_h;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Finds, checks and loads {@code liblowbit.so}, once per class loader.
 *
 * <p>Where from: the system property {@value #PATH_PROPERTY} or else the environment variable
 * {@value #PATH_ENV} (a development or custom build), or else the copy inside the jar under
 * {@code dev/lowbit/native/<os>-<arch>/}, extracted to a temporary file. Before loading, the file is
 * opened on its own and checked to export every function the generated bindings call, so a stale or
 * foreign library fails here with one message instead of later with a missing-symbol error.
 */
public final class NativeLibrary {
    public static final String PATH_PROPERTY = "lowbit.library.path";
    public static final String PATH_ENV = "LOWBIT_LIBRARY_PATH";
    static final String LIBRARY_FILE = "liblowbit.so";

    private static volatile Path loaded;

    private NativeLibrary() {}

    /** Loads the library if this class loader has not yet; returns where it came from. */
    public static Path ensureLoaded() {
        Path p = loaded;
        if (p != null) return p;
        synchronized (NativeLibrary.class) {
            if (loaded == null) loaded = load(System.getProperty(PATH_PROPERTY), System.getenv(PATH_ENV));
            return loaded;
        }
    }

    /** The {@code <os>-<arch>} folder name of this platform in the jar, e.g. {@code linux-x86_64}. */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.contains("win") ? "windows" : os;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
        return o + "-" + a;
    }

    private static Path load(String property, String env) {
        Path path;
        if (property != null && !property.isBlank()) {
            path = checkOverride(property, "system property " + PATH_PROPERTY);
        } else if (env != null && !env.isBlank()) {
            path = checkOverride(env, "environment variable " + PATH_ENV);
        } else {
            path = extractFromJar();
        }
        verifySymbols(path);
        try {
            System.load(path.toString());
        } catch (UnsatisfiedLinkError e) {
            throw new LowbitException(Status.LOAD_FAILED, "could not load " + path + ": " + e.getMessage(), e);
        }
        int abi = lowbit_h.lb_abi_version();
        if (abi != lowbit_h.LB_ABI_VERSION()) {
            throw new LowbitException(Status.LOAD_FAILED, path + " has ABI version " + abi + " but these bindings need "
                    + lowbit_h.LB_ABI_VERSION() + ": rebuild it (./mvnw package) or unset " + PATH_PROPERTY + "/" + PATH_ENV);
        }
        return path;
    }

    /** Checks an explicitly given library path; public for the loader tests. */
    public static Path checkOverride(String value, String source) {
        Path p = Path.of(value).toAbsolutePath();
        if (!Files.exists(p)) {
            throw new LowbitException(Status.LOAD_FAILED, source + " points to " + p
                    + ", which does not exist: build liblowbit.so (./mvnw package) or unset it to use the one in the jar");
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new LowbitException(Status.LOAD_FAILED, source + " points to " + p + ", which is not a readable file");
        }
        return p;
    }

    /**
     * Opens {@code path} on its own (not yet for the bindings) and checks that it exports every
     * function of {@code lowbit.h}; public for the loader tests.
     */
    public static void verifySymbols(Path path) {
        checkElf(path);
        List<String> missing = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            SymbolLookup lookup;
            try {
                lookup = SymbolLookup.libraryLookup(path, arena);
            } catch (IllegalArgumentException e) {
                throw new LowbitException(Status.LOAD_FAILED, "could not open " + path + " as a shared library ("
                        + e.getMessage() + "): is it a " + platform() + " build of liblowbit.so?", e);
            }
            for (String name : boundFunctions()) {
                if (lookup.find(name).isEmpty()) missing.add(name);
            }
        }
        if (!missing.isEmpty()) {
            throw new LowbitException(Status.LOAD_FAILED, path + " is not a matching liblowbit.so: it lacks "
                    + missing.size() + " function(s) of lowbit.h " + (missing.size() > 5 ? missing.subList(0, 5) + "..." : missing)
                    + "; rebuild it (./mvnw package) or point " + PATH_PROPERTY + " at a current build");
        }
    }

    /** Refuses non-ELF files up front: dlopen's own error for them is obscure (and the JVM adds a stack-guard warning). */
    private static void checkElf(Path path) {
        byte[] magic = new byte[4];
        int read;
        try (InputStream in = Files.newInputStream(path)) {
            read = in.readNBytes(magic, 0, 4);
        } catch (IOException e) {
            throw new LowbitException(Status.LOAD_FAILED, "could not read " + path + ": " + e, e);
        }
        if (read < 4 || magic[0] != 0x7f || magic[1] != 'E' || magic[2] != 'L' || magic[3] != 'F') {
            throw new LowbitException(Status.LOAD_FAILED, "could not open " + path + " as a shared library (it is not an ELF file): is it a "
                    + platform() + " build of liblowbit.so?");
        }
    }

    /** Names of all native functions the generated bindings can call. */
    public static TreeSet<String> boundFunctions() {
        TreeSet<String> names = new TreeSet<>();
        for (Method m : lowbit_h.class.getMethods()) {
            String n = m.getName();
            if (n.endsWith("$address") && m.getParameterCount() == 0) names.add(n.substring(0, n.length() - "$address".length()));
        }
        return names;
    }

    private static Path extractFromJar() {
        String resource = "/dev/lowbit/native/" + platform() + "/" + LIBRARY_FILE;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new LowbitException(Status.LOAD_FAILED, "this lowbit jar has no native library for " + platform()
                        + " (looked for " + resource + "); build lowbit from source on this platform and set -D"
                        + PATH_PROPERTY + " to the liblowbit.so it produces");
            }
            Path dir = Files.createTempDirectory("lowbit-");
            Path file = dir.resolve(LIBRARY_FILE);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            file.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new LowbitException(Status.LOAD_FAILED, "could not extract " + resource + " to a temporary directory ("
                    + e + "); set java.io.tmpdir to a writable directory or -D" + PATH_PROPERTY + " to a liblowbit.so", e);
        }
    }
}
