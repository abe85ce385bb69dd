package dev.lowbit.embedding;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Embedding lookup and mean pooling on CUDA give the CPU's bits (same operations, same order). Skips without a GPU. */
class EmbeddingsCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    @Test
    void equalsTheCpuBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        int vocab = 300, maxPositions = 512;
        for (int hidden : new int[] {1, 16, 37, 384, 1000})
            for (int[] lengths : new int[][] {{1}, {3, 1, 7}, {12, 64, 33, 5}, {512, 2}}) {
                long[] starts = EmbeddingsTest.starts(lengths);
                int tokens = (int) starts[lengths.length];
                int[] ids = r.ints(tokens, 0, vocab).toArray();
                try (Arena arena = Arena.ofConfined()) {
                    Tensor w = Tensor.of(arena, EmbeddingsTest.random(r, vocab * hidden), vocab, hidden);
                    Tensor p = Tensor.of(arena, EmbeddingsTest.random(r, maxPositions * hidden), maxPositions, hidden);
                    Tensor ty = Tensor.of(arena, EmbeddingsTest.random(r, hidden), hidden);
                    Tensor cpu = Tensor.allocate(arena, DType.F32, Device.CPU, tokens, hidden), gpu = Tensor.allocate(arena, DType.F32, GPU, tokens, hidden);
                    Embeddings.lookup(w, p, ty, ids, starts, cpu);
                    Embeddings.lookup(w.to(GPU, arena), p.to(GPU, arena), ty.to(GPU, arena), ids, starts, gpu);
                    String what = "hidden " + hidden + " lengths " + java.util.Arrays.toString(lengths);
                    assertArrayEquals(cpu.toFloatArray(), gpu.to(Device.CPU, arena).toFloatArray(), "lookup " + what);
                    Embeddings.lookup(w, p, null, ids, starts, cpu);
                    Embeddings.lookup(w.to(GPU, arena), p.to(GPU, arena), null, ids, starts, gpu);
                    assertArrayEquals(cpu.toFloatArray(), gpu.to(Device.CPU, arena).toFloatArray(), "lookup without a type row " + what);
                    for (boolean normalize : new boolean[] {true, false}) {
                        Tensor pc = Tensor.allocate(arena, DType.F32, Device.CPU, lengths.length, hidden);
                        Tensor pg = Tensor.allocate(arena, DType.F32, GPU, lengths.length, hidden);
                        Embeddings.meanPool(cpu, starts, normalize, pc);
                        Embeddings.meanPool(gpu, starts, normalize, pg);
                        assertArrayEquals(pc.toFloatArray(), pg.to(Device.CPU, arena).toFloatArray(), "pool " + what + " normalize " + normalize);
                    }
                }
            }
    }

    @Test
    void operandsOnTwoDevicesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.F32, GPU, 10, 8), p = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 8);
            Tensor out = Tensor.allocate(arena, DType.F32, GPU, 2, 8);
            assertThrows(IllegalArgumentException.class, () -> Embeddings.lookup(w, p, null, new int[] {1, 2}, new long[] {0, 2}, out));
            assertThrows(IllegalArgumentException.class,
                    () -> Embeddings.meanPool(out, new long[] {0, 2}, true, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 8)));
        }
    }
}
