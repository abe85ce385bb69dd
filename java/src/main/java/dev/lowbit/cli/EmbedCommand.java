package dev.lowbit.cli;

import dev.lowbit.Device;
import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;
import dev.lowbit.embed.Embedder;
import dev.lowbit.model.Quant;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code lowbit embed}: texts in, one embedding per text out (JSON lines or .npy). */
final class EmbedCommand {
    static final Quant DEFAULT_QUANT = Quant.W8A8.withRotation();
    private static final int PROGRESS_ABOVE = 300;

    private EmbedCommand() {}

    static String usage() {
        return """
                usage: lowbit embed [options] [TEXT ...]
                  Embeds each TEXT (or each line of --file, or of stdin when neither is given) with
                  all-MiniLM-L6-v2 (384 dimensions, unit length) and prints one JSON line per input:
                  {"index":0,"tokens":7,"embedding":[...]}
                options:
                  --quant MODE   f32, w8a8, w4a4, fp8, w4a16, w4a8, w4fp8, plus -g<group>, -mse, -rot, -gptq, -awq (default %s)
                  --device D     cpu (default) or cuda
                  --threads N    native threads for the kernels (default: all cores)
                  --batch N      texts per forward pass (default 32)
                  --file F       one text per line ('-' for stdin)
                  --format F     jsonl (default) or npy
                  --output F     write to F instead of stdout
                  --quiet        no progress bar or summary on stderr
                """.formatted(DEFAULT_QUANT.cliName());
    }

    /** --device: cpu (default) or cuda (device 0). */
    static Device device(Options o) {
        String name = o.get("device", "cpu");
        if (!name.equals("cpu") && !name.equals("cuda")) throw new Options.UsageException("--device must be cpu or cuda, got '" + name + "'");
        return name.equals("cpu") ? Device.CPU : Device.cuda(0);
    }

    /** The bundled model for quant on device, or null after one line on err saying why not (no such device, no kernels there). */
    static Embedder load(String command, Quant quant, Device device, PrintStream err) {
        try {
            return Embedder.load(quant, device);
        } catch (IllegalArgumentException | LowbitException e) {
            err.println(command + ": " + e.getMessage());
            return null;
        }
    }

    static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) throws IOException {
        Options o = new Options(args, 1, Set.of("quant", "device", "threads", "batch", "file", "format", "output"), Set.of("quiet", "help"));
        if (o.flag("help")) {
            out.print(usage());
            return 0;
        }
        Quant quant;
        try {
            quant = Quant.parse(o.get("quant", DEFAULT_QUANT.cliName()));
        } catch (IllegalArgumentException e) {
            throw new Options.UsageException(e.getMessage());
        }
        Device device = device(o);
        String format = o.get("format", "jsonl");
        if (!format.equals("jsonl") && !format.equals("npy")) throw new Options.UsageException("--format must be jsonl or npy, got '" + format + "'");
        int batch = o.intValue("batch", 32, 1, 4096);
        if (o.get("threads", null) != null) Lowbit.setThreads(o.intValue("threads", 0, 1, 1024));
        List<String> texts = inputs(o, stdin);
        if (texts.isEmpty()) {
            err.println("lowbit embed: no input texts");
            return 1;
        }
        String output = o.get("output", null);
        boolean progress = !o.flag("quiet") && texts.size() > PROGRESS_ABOVE;
        long t0 = System.nanoTime();
        Embedder loaded = load("lowbit embed", quant, device, err);
        if (loaded == null) return 1;
        try (Embedder model = loaded;
             OutputStream sink = output == null ? nonClosing(out) : new BufferedOutputStream(Files.newOutputStream(Path.of(output)))) {
            long ready = System.nanoTime(), tokens = 0;
            List<float[]> all = format.equals("npy") ? new ArrayList<>() : null;
            StringBuilder line = new StringBuilder();
            for (int start = 0; start < texts.size(); start += batch) {
                List<String> chunk = texts.subList(start, Math.min(texts.size(), start + batch));
                int[][] ids = new int[chunk.size()][];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = model.tokenize(chunk.get(i));
                    tokens += ids[i].length;
                }
                float[][] v = model.embedTokens(ids);
                for (int i = 0; i < v.length; i++) {
                    if (all != null) {
                        all.add(v[i]);
                        continue;
                    }
                    line.setLength(0);
                    line.append("{\"index\":").append(start + i).append(",\"tokens\":").append(ids[i].length).append(",\"embedding\":[");
                    for (int j = 0; j < v[i].length; j++) line.append(j == 0 ? "" : ",").append(v[i][j]);
                    sink.write(line.append("]}\n").toString().getBytes(StandardCharsets.UTF_8));
                }
                if (progress) progress(err, start + chunk.size(), texts.size(), System.nanoTime() - ready);
            }
            if (all != null) Npy.write(all.toArray(new float[0][]), model.dimension(), sink);
            sink.flush();
            long end = System.nanoTime();
            if (progress) err.println();
            if (!o.flag("quiet")) {
                double s = (end - ready) / 1e9;
                String where = device.isCpu() ? "cpu, " + Lowbit.threads() + " threads" : device.toString();
                err.printf("lowbit embed: %d texts, %d tokens in %.2f s (model load %.2f s): %.1f texts/s, %.0f tokens/s [%s, %s]%n",
                        texts.size(), tokens, s, (ready - t0) / 1e9, texts.size() / s, tokens / s, quant.cliName(), where);
            }
        }
        return 0;
    }

    private static List<String> inputs(Options o, InputStream stdin) throws IOException {
        String file = o.get("file", null);
        if (file != null && !o.positional().isEmpty()) throw new Options.UsageException("give texts as arguments or --file, not both");
        if (file == null && !o.positional().isEmpty()) return o.positional();
        InputStream in = file == null || file.equals("-") ? stdin : Files.newInputStream(Path.of(file));
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
        }
        return lines;
    }

    private static void progress(PrintStream err, int done, int total, long nanos) {
        int width = 30, filled = (int) ((long) width * done / total);
        double rate = done / Math.max(nanos / 1e9, 1e-9);
        err.printf("\r[%s%s] %d/%d texts, %.0f texts/s", "#".repeat(filled), " ".repeat(width - filled), done, total, rate);
        err.flush();
    }

    /** stdout for try-with-resources: closing it only flushes. */
    private static OutputStream nonClosing(PrintStream stdout) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                stdout.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                stdout.write(b, off, len);
            }

            @Override
            public void flush() {
                stdout.flush();
            }

            @Override
            public void close() {
                stdout.flush();
            }
        };
    }
}
