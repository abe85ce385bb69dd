package dev.lowbit.cli;

import dev.lowbit.Lowbit;
import dev.lowbit.embed.Embedder;
import dev.lowbit.embed.EmbeddingServer;
import dev.lowbit.model.Quant;

import java.io.IOException;
import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/** {@code lowbit serve}: the OpenAI-compatible embeddings endpoint until interrupted. */
final class ServeCommand {
    static final String MODEL_NAME = "all-MiniLM-L6-v2";
    /** Request threads: with shared passes most of them wait for a pass, and each waiting request can join the next. */
    static final int DEFAULT_WORKERS = 64;

    private ServeCommand() {}

    static String usage() {
        return """
                usage: lowbit serve [options]
                  Serves POST /v1/embeddings (OpenAI-compatible), GET /v1/models and GET /health.
                options:
                  --port N       port (default 8080; 0 picks a free one)
                  --host H       address to bind (default 127.0.0.1)
                  --quant MODE   as for lowbit embed (default %s)
                  --device D     cpu (default) or cuda
                  --threads N    native threads for the kernels (default: all cores)
                  --workers N    requests in flight at once (default %d)
                  --batch-tokens N
                                 concurrent requests share forward passes of up to N tokens
                                 (default %d; 0: each request runs its own pass)
                """.formatted(EmbedCommand.DEFAULT_QUANT.cliName(), DEFAULT_WORKERS, EmbeddingServer.DEFAULT_BATCH_TOKENS);
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Options o = new Options(args, 1, Set.of("port", "host", "quant", "device", "threads", "workers", "batch-tokens"), Set.of("help"));
        if (o.flag("help")) {
            out.print(usage());
            return 0;
        }
        if (!o.positional().isEmpty()) throw new Options.UsageException("unexpected argument '" + o.positional().get(0) + "'");
        Quant quant;
        try {
            quant = Quant.parse(o.get("quant", EmbedCommand.DEFAULT_QUANT.cliName()));
        } catch (IllegalArgumentException e) {
            throw new Options.UsageException(e.getMessage());
        }
        int port = o.intValue("port", 8080, 0, 65535), workers = o.intValue("workers", DEFAULT_WORKERS, 1, 1024);
        int batchTokens = o.intValue("batch-tokens", EmbeddingServer.DEFAULT_BATCH_TOKENS, 0, 1 << 24);
        if (o.get("threads", null) != null) Lowbit.setThreads(o.intValue("threads", 0, 1, 1024));
        Embedder model = EmbedCommand.load("lowbit serve", quant, EmbedCommand.device(o), err);
        if (model == null) return 1;
        EmbeddingServer server;
        try {
            server = EmbeddingServer.start(model, MODEL_NAME, o.get("host", "127.0.0.1"), port, workers, batchTokens);
        } catch (IOException e) {  // e.g. the port is taken: one clear line, not a stack trace
            model.close();
            throw new IOException("cannot listen on " + o.get("host", "127.0.0.1") + ":" + port + ": " + e.getMessage(), e);
        }
        out.printf("lowbit serve: %s (%s, %s) on http://%s:%d/v1/embeddings%n", MODEL_NAME, quant.cliName(), model.device(),
                o.get("host", "127.0.0.1"), server.port());
        out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            model.close();
            stop.countDown();
        }));
        try {
            stop.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
