package dev.lowbit.embed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Runs concurrent embedding requests as shared forward passes (dynamic batching). One pass runs at a
 * time; the requests that arrive meanwhile queue, and the next pass takes them all, oldest first, up
 * to a token budget. A lone request on an idle batcher starts at once: batches form only under load,
 * so batching adds no wait where it cannot help.
 *
 * <p>Why: a pass over many sentences costs far less per sentence than one pass each — every linear
 * layer becomes one GEMM over all their tokens, and each kernel's fixed cost (thread hand-offs on the
 * CPU, launches and the host round trip on a GPU) is paid once. All-MiniLM on the dev VM embeds
 * ~1.5-2x more sentences per second in batches of 8 than one at a time, an H200 ~15x more at 64.
 * Rows are independent in every kernel of the encoder, so a request's embeddings do not depend on
 * what it was batched with.
 *
 * <p>A pass that throws fails exactly the requests in it (each caller gets the exception); the
 * batcher goes on with the next. {@link #close} fails the requests still queued and refuses new ones.
 */
final class EmbeddingBatcher implements AutoCloseable {
    private final Function<int[][], float[][]> forward;
    private final long maxBatchTokens;
    private final LinkedBlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Thread dispatcher;
    private final AtomicLong passes = new AtomicLong(), sequences = new AtomicLong();
    private volatile boolean closed;

    private record Request(int[][] ids, long tokens, CompletableFuture<float[][]> result) {}

    /**
     * @param forward        embeds a batch of token sequences, one row per sequence, in order
     * @param maxBatchTokens most tokens in one pass; a request over it alone runs alone
     */
    EmbeddingBatcher(Function<int[][], float[][]> forward, long maxBatchTokens) {
        if (maxBatchTokens < 1) throw new IllegalArgumentException("maxBatchTokens must be >= 1, got " + maxBatchTokens);
        this.forward = forward;
        this.maxBatchTokens = maxBatchTokens;
        dispatcher = Thread.ofPlatform().name("lowbit-embedding-batcher").daemon().start(this::dispatch);
    }

    /** The embeddings of {@code ids} (one row each), computed in a pass shared with other callers; blocks until done. */
    float[][] embed(int[][] ids) {
        if (ids.length == 0) return new float[0][];
        long tokens = 0;
        for (int[] s : ids) tokens += s.length;
        Request r = new Request(ids, tokens, new CompletableFuture<>());
        if (closed) throw new ClosedException();
        queue.add(r);
        // close() may have drained the queue between the check and the add: take the request back.
        if (closed && queue.remove(r)) throw new ClosedException();
        try {
            return r.result().get();
        } catch (ExecutionException e) {
            // Rethrown as is, so callers see the kernel's own exception type and message (its stack is the dispatcher's).
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException("the embedding pass failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedding pass", e);
        }
    }

    /** Forward passes run so far. */
    long passes() {
        return passes.get();
    }

    /** Sequences embedded so far (over {@link #passes()}: the mean batch). */
    long sequences() {
        return sequences.get();
    }

    /** Requests waiting for a pass. */
    int queued() {
        return queue.size();
    }

    /** Fails the queued requests, refuses new ones, and waits for the pass in progress to finish. */
    @Override
    public void close() {
        closed = true;
        dispatcher.interrupt();
        boolean interrupted = false;
        while (dispatcher.isAlive()) {
            try {
                dispatcher.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** A request refused or dropped because the batcher is closing (the server answers it 503). */
    static final class ClosedException extends IllegalStateException {
        ClosedException() {
            super("the embedding server is shutting down");
        }
    }

    private void dispatch() {
        try {
            while (!closed) {
                List<Request> batch = new ArrayList<>();
                Request first = queue.take();
                batch.add(first);
                long tokens = first.tokens();
                // The only consumer, so the request peeked is the one polled.
                for (Request next; (next = queue.peek()) != null && tokens + next.tokens() <= maxBatchTokens; ) {
                    batch.add(queue.poll());
                    tokens += next.tokens();
                }
                run(batch);
            }
        } catch (InterruptedException e) {
            // close()
        } finally {
            closed = true;
            for (Request r; (r = queue.poll()) != null; ) r.result().completeExceptionally(new ClosedException());
        }
    }

    private void run(List<Request> batch) {
        int n = 0;
        for (Request r : batch) n += r.ids().length;
        int[][] ids = new int[n][];
        int at = 0;
        for (Request r : batch) {
            System.arraycopy(r.ids(), 0, ids, at, r.ids().length);
            at += r.ids().length;
        }
        float[][] out;
        try {
            out = forward.apply(ids);
            if (out == null || out.length != n)
                throw new IllegalStateException("the encoder returned " + (out == null ? "null" : out.length + " rows") + " for " + n + " sequences");
        } catch (Throwable t) {
            for (Request r : batch) r.result().completeExceptionally(t);
            if (t instanceof VirtualMachineError) throw (VirtualMachineError) t;
            return;
        }
        passes.incrementAndGet();
        sequences.addAndGet(n);
        at = 0;
        for (Request r : batch) {
            r.result().complete(Arrays.copyOfRange(out, at, at + r.ids().length));
            at += r.ids().length;
        }
    }
}
