package dev.lowbit.embed;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batcher with a stand-in encoder that embeds a sequence as {first id, length} and records each pass's
 * sequences, so the tests see how requests were grouped and that each gets its own rows back.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EmbeddingBatcherTest {
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private final List<List<Integer>> passes = new CopyOnWriteArrayList<>();  // first ids of each pass's sequences
    private final CountDownLatch firstPassMayEnd = new CountDownLatch(1);
    private final CountDownLatch firstPassStarted = new CountDownLatch(1);
    private EmbeddingBatcher batcher;

    @AfterEach
    void tearDown() {
        firstPassMayEnd.countDown();
        if (batcher != null) batcher.close();
        clients.shutdownNow();
    }

    /** The stand-in encoder; the first pass waits for firstPassMayEnd, so requests queue behind it. */
    private float[][] encode(int[][] ids) {
        List<Integer> firsts = new ArrayList<>();
        for (int[] s : ids) firsts.add(s[0]);
        passes.add(firsts);
        if (passes.size() == 1) {
            firstPassStarted.countDown();
            try {
                firstPassMayEnd.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        float[][] out = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i][0] < 0) throw new IllegalArgumentException("bad sequence " + ids[i][0]);
            out[i] = new float[] {ids[i][0], ids[i].length};
        }
        return out;
    }

    private static int[] seq(int first, int length) {
        int[] s = new int[length];
        s[0] = first;
        return s;
    }

    private Future<float[][]> submit(int[]... ids) {
        return clients.submit(() -> batcher.embed(ids));
    }

    /** Submits, then waits until the request is queued, so requests queue in the order submitted. */
    private Future<float[][]> submitQueued(int[]... ids) throws InterruptedException {
        int before = batcher.queued();
        Future<float[][]> f = submit(ids);
        while (batcher.queued() == before) Thread.sleep(1);
        return f;
    }

    private Future<float[][]> startBlockedFirstPass() throws InterruptedException {
        Future<float[][]> first = submit(seq(100, 4));
        assertTrue(firstPassStarted.await(10, TimeUnit.SECONDS));
        return first;
    }

    @Test
    void requestsThatArriveDuringAPassShareTheNextAndGetTheirOwnRows() throws Exception {
        batcher = new EmbeddingBatcher(this::encode, 1000);
        Future<float[][]> first = startBlockedFirstPass();
        Future<float[][]> a = submitQueued(seq(1, 3));
        Future<float[][]> b = submitQueued(seq(2, 5), seq(3, 7), seq(4, 2));
        Future<float[][]> c = submitQueued(seq(5, 9));
        firstPassMayEnd.countDown();
        assertArrayEquals(new float[][] {{100, 4}}, first.get());
        assertArrayEquals(new float[][] {{1, 3}}, a.get());
        assertArrayEquals(new float[][] {{2, 5}, {3, 7}, {4, 2}}, b.get());
        assertArrayEquals(new float[][] {{5, 9}}, c.get());
        assertEquals(List.of(List.of(100), List.of(1, 2, 3, 4, 5)), passes);
        assertEquals(2, batcher.passes());
        assertEquals(6, batcher.sequences());
    }

    @Test
    void aLoneRequestOnAnIdleBatcherRunsAtOnce() {
        batcher = new EmbeddingBatcher(ids -> {
            passes.add(List.of(ids[0][0]));
            return new float[][] {{ids[0][0]}};
        }, 1000);
        for (int i = 0; i < 5; i++) assertArrayEquals(new float[][] {{i}}, batcher.embed(new int[][] {seq(i, 2)}));
        assertEquals(5, passes.size());
        assertArrayEquals(new float[0][], batcher.embed(new int[0][]));
    }

    @Test
    void theTokenBudgetSplitsPassesInArrivalOrder() throws Exception {
        batcher = new EmbeddingBatcher(this::encode, 10);
        startBlockedFirstPass();
        List<Future<float[][]>> f = new ArrayList<>();
        f.add(submitQueued(seq(1, 6)));
        f.add(submitQueued(seq(2, 6)));
        f.add(submitQueued(seq(3, 3)));
        f.add(submitQueued(seq(4, 25)));  // over the budget: a pass of its own
        f.add(submitQueued(seq(5, 1)));
        firstPassMayEnd.countDown();
        for (Future<float[][]> x : f) x.get();
        // Oldest first and never reordered: 3 does not jump ahead into 1's pass.
        assertEquals(List.of(List.of(100), List.of(1), List.of(2, 3), List.of(4), List.of(5)), passes);
    }

    @Test
    void aFailedPassFailsOnlyItsRequests() throws Exception {
        batcher = new EmbeddingBatcher(this::encode, 1000);
        startBlockedFirstPass();
        Future<float[][]> bad = submitQueued(seq(-7, 2));
        Future<float[][]> sameBatch = submitQueued(seq(8, 2));
        firstPassMayEnd.countDown();
        for (Future<float[][]> f : List.of(bad, sameBatch)) {
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("bad sequence -7"), e.getCause().getMessage());
        }
        assertArrayEquals(new float[][] {{9, 3}}, batcher.embed(new int[][] {seq(9, 3)}));
    }

    @Test
    void anEncoderReturningTheWrongRowCountIsAnError() {
        batcher = new EmbeddingBatcher(ids -> new float[ids.length + 1][], 1000);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> batcher.embed(new int[][] {seq(1, 2)}));
        assertTrue(e.getMessage().contains("2 rows for 1 sequences"), e.getMessage());
    }

    @Test
    void closeFailsQueuedRequestsAndRefusesNewOnes() throws Exception {
        batcher = new EmbeddingBatcher(this::encode, 1000);
        Future<float[][]> first = startBlockedFirstPass();
        Future<float[][]> queued = submitQueued(seq(1, 2));
        Future<?> closing = clients.submit(batcher::close);  // waits for the pass in progress
        ExecutionException e = assertThrows(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS));
        assertInstanceOf(EmbeddingBatcher.ClosedException.class, e.getCause());
        assertThrows(EmbeddingBatcher.ClosedException.class, () -> batcher.embed(new int[][] {seq(2, 2)}));
        firstPassMayEnd.countDown();
        closing.get();
        assertArrayEquals(new float[][] {{100, 4}}, first.get());  // the pass in progress completes
    }

    @Test
    void badBudgetsAreRefused() {
        Function<int[][], float[][]> f = ids -> new float[ids.length][];
        assertThrows(IllegalArgumentException.class, () -> new EmbeddingBatcher(f, 0));
    }
}
