package dev.lowbit.ffi;

import dev.lowbit.bindings.lowbit_h;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * lowbit.h and the committed jextract bindings must declare the same functions and constants: a
 * header change without {@code bindings/regenerate.sh} fails here.
 */
class BindingsDriftTest {
    private static final Pattern FUNCTION = Pattern.compile("^LB_API\\b[^(]*?\\b(lb_\\w+)\\s*\\(", Pattern.MULTILINE);
    private static final Pattern CONSTANT = Pattern.compile("^#define\\s+(LB_\\w+)\\s+\\S", Pattern.MULTILINE);

    private static String header() throws IOException {
        String path = System.getProperty("lowbit.header", "../native/include/lowbit.h");
        return Files.readString(Path.of(path));
    }

    @Test
    void everyHeaderFunctionIsBoundAndNothingElse() throws IOException {
        Set<String> declared = names(FUNCTION.matcher(header()));
        assertTrue(declared.size() > 20, "parsed too few functions from lowbit.h: " + declared);
        assertEquals(declared, NativeLibrary.boundFunctions(),
                "lowbit.h and dev.lowbit.bindings disagree: run bindings/regenerate.sh (see bindings/README.md)");
    }

    @Test
    void everyHeaderConstantIsBound() throws IOException {
        Set<String> declared = names(CONSTANT.matcher(header()));
        declared.remove("LB_API");
        Set<String> bound = Arrays.stream(lowbit_h.class.getMethods()).filter(m -> m.getParameterCount() == 0)
                .map(Method::getName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(declared);
        missing.removeAll(bound);
        assertTrue(missing.isEmpty(), "constants of lowbit.h missing from the bindings: " + missing + "; run bindings/regenerate.sh");
    }

    private static Set<String> names(Matcher m) {
        Set<String> names = new TreeSet<>();
        while (m.find()) names.add(m.group(1));
        return names;
    }
}
