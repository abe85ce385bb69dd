package dev.lowbit.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbedCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true),
                new PrintStream(err, true));
    }

    private String[] lines() {
        return out.toString(StandardCharsets.UTF_8).split("\n");
    }

    @Test
    void argumentsToJsonLines() throws Exception {
        assertEquals(0, run("", "embed", "--quant", "w8a8", "first text", "second text"), err.toString());
        String[] lines = lines();
        assertEquals(2, lines.length);
        for (int i = 0; i < 2; i++) {
            JsonNode n = new ObjectMapper().readTree(lines[i]);
            assertEquals(i, n.get("index").asInt());
            assertEquals(384, n.get("embedding").size());
            double norm = 0;
            for (JsonNode v : n.get("embedding")) norm += v.asDouble() * v.asDouble();
            assertEquals(1.0, norm, 1e-4);
        }
        assertTrue(err.toString().contains("2 texts"), err.toString());
    }

    @Test
    void stdinLinesAndQuiet() {
        assertEquals(0, run("one\ntwo\n\nfour\n", "embed", "--quiet", "--quant=f32"), err.toString());
        assertEquals(4, lines().length);
        assertEquals("", err.toString());
    }

    @Test
    void fileToNpy(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.txt"), npy = dir.resolve("out.npy");
        Files.writeString(in, "alpha\nbeta\ngamma\n");
        assertEquals(0, run("", "embed", "--file", in.toString(), "--format", "npy", "--output", npy.toString(), "--batch", "2"), err.toString());
        byte[] b = Files.readAllBytes(npy);
        assertEquals((byte) 0x93, b[0]);
        String header = new String(b, 10, ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort(), StandardCharsets.US_ASCII);
        assertTrue(header.contains("'shape': (3, 384)"), header);
        assertEquals(0, (10 + header.length()) % 64);
        assertEquals(10 + header.length() + 3 * 384 * 4, b.length);
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, run("", "embed", "--quant", "w3a3", "x"));
        assertTrue(err.toString().contains("unknown quantization 'w3a3'"), err.toString());
        assertEquals(2, run("", "embed", "--batch", "0", "x"));
        assertEquals(2, run("", "embed", "--frobnicate", "x"));
        assertEquals(2, run("", "embed", "--format", "csv", "x"));
        assertEquals(2, run("", "embed", "--batch"));
        assertEquals(1, run("", "embed", "--file", "/nonexistent/file.txt"));
        assertEquals(1, run("", "embed"));
        assertTrue(err.toString().contains("no input texts"), err.toString());
        // A mode with no CUDA kernels is refused by name, before any device is touched.
        assertEquals(1, run("", "embed", "--device", "cuda", "--quant", "f32", "x"));
        assertTrue(err.toString().contains("f32 does not run on cuda:0: f32 is the plain-Java reference"), err.toString());
        assertEquals(1, run("", "embed", "--device", "cuda", "--quant", "w4a8", "x"));
        assertTrue(err.toString().contains("int8 activations (w4a8) are a CPU decode path"), err.toString());
        if (dev.lowbit.Lowbit.cudaDeviceCount() == 0) {
            assertEquals(1, run("", "embed", "--device", "cuda", "x"));
            assertTrue(err.toString().contains("no CUDA device"), err.toString());
        }
    }

    @Test
    void serveUsageErrorsAndHelp() {
        assertEquals(0, run("", "serve", "--help"));
        assertTrue(out.toString().contains("POST /v1/embeddings") && out.toString().contains("--batch-tokens"), out.toString());
        assertEquals(2, run("", "serve", "--port", "abc"));
        assertTrue(err.toString().contains("--port must be an integer"), err.toString());
        assertEquals(2, run("", "serve", "--port", "70000"));
        assertEquals(2, run("", "serve", "--quant", "w9"));
        assertEquals(2, run("", "serve", "extra"));
        assertEquals(2, run("", "serve", "--workers", "0"));
        assertEquals(2, run("", "serve", "--batch-tokens", "-1"));
        assertTrue(err.toString().contains("--batch-tokens must be in 0.."), err.toString());
        assertEquals(2, run("", "serve", "--device", "tpu"));
        assertEquals(1, run("", "serve", "--device", "cuda", "--quant", "f32"));  // no CUDA kernels for f32: one line, no server
        assertTrue(err.toString().contains("lowbit serve: f32 does not run on cuda:0"), err.toString());
    }

    @Test
    void serveOnATakenPortFailsWithOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertEquals(1, run("", "serve", "--quant", "f32", "--port", String.valueOf(taken.getLocalPort())));
            assertTrue(err.toString().startsWith("lowbit: cannot listen on 127.0.0.1:" + taken.getLocalPort()), err.toString());
        }
    }
}
