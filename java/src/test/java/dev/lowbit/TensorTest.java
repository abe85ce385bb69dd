package dev.lowbit;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TensorTest {
    @Test
    void allocateIsZeroedContiguousAndAligned() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.F32, Device.CPU, 3, 5);
            assertArrayEquals(new long[] {3, 5}, t.shape());
            assertArrayEquals(new long[] {5, 1}, t.strides());
            assertEquals(15, t.numel());
            assertEquals(60, t.byteSize());
            assertTrue(t.isContiguous());
            assertEquals(0, t.segment().address() % Tensor.HOST_ALIGNMENT);
            assertArrayEquals(new float[15], t.toFloatArray());
        }
    }

    @Test
    void packedTypesUseHalfAByteAndNeedEvenRows() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.I4, Device.CPU, 3, 8);
            assertEquals(12, t.byteSize());
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(arena, DType.U4, Device.CPU, 4, 3));
            assertEquals("U4 packs two elements per byte: the last dimension must be even, got shape [4, 3]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> t.slice(1, 1, 5));
            assertTrue(e.getMessage().startsWith("I4 packs two elements per byte: slices must start at an even element"), e.getMessage());
            assertEquals(10, t.slice(1, 2, 6).segment().byteSize()); // elements 2..21 of rows 0..2: bytes 1..10
        }
    }

    @Test
    void rejectsBadShapes() {
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(arena, DType.F32, Device.CPU, 2, -1));
            assertEquals("shape [2, -1] has a negative dimension 1", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(arena, DType.F32, Device.CPU));
            assertEquals("shape must have at least one dimension", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Tensor.allocate(arena, DType.F32, Device.CPU, 1L << 40, 1L << 40));
            assertTrue(e.getMessage().endsWith("has more than 2^63 elements"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.of(arena, new float[5], 2, 3));
            assertEquals("5 values given but shape [2, 3] holds 6", e.getMessage());
        }
    }

    @Test
    void wrapChecksHeapSizeAlignmentAndLiveness() {
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(MemorySegment.ofArray(new float[4]), DType.F32, 4));
            assertTrue(e.getMessage().startsWith("segment is a heap segment"), e.getMessage());
            MemorySegment small = arena.allocate(12, 64);
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(small, DType.F32, 4));
            assertEquals("segment has 12 bytes but shape [4] of F32 needs 16", e.getMessage());
            MemorySegment misaligned = arena.allocate(64, 64).asSlice(2);
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.wrap(misaligned, DType.F32, 4));
            assertTrue(e.getMessage().endsWith("is not aligned to 4 bytes as F32 requires"), e.getMessage());
            Tensor ok = Tensor.wrap(misaligned, DType.F16, 4); // 2-byte aligned is enough for F16
            assertEquals(DType.F16, ok.dtype());
        }
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(16);
        }
        var e = assertThrows(IllegalStateException.class, () -> Tensor.wrap(closed, DType.F32, 4));
        assertEquals("segment is closed: the Arena that owns it was closed", e.getMessage());
    }

    @Test
    void closedTensorsRefuseEveryUse() {
        Tensor t = Tensor.allocate(DType.F32, Device.CPU, 4);
        assertTrue(t.isAlive());
        t.close();
        assertFalse(t.isAlive());
        t.close(); // idempotent
        var e = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(e.getMessage().startsWith("tensor is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, () -> t.slice(0, 0, 1));
    }

    @Test
    void slicesAndReshapesShareMemory() {
        try (Arena arena = Arena.ofConfined()) {
            float[] v = new float[12];
            for (int i = 0; i < v.length; i++) v[i] = i;
            Tensor t = Tensor.of(arena, v, 3, 4);
            Tensor rows = t.slice(0, 1, 3);
            assertTrue(rows.isContiguous());
            assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, rows.toFloatArray());
            Tensor cols = t.slice(1, 1, 3);
            assertFalse(cols.isContiguous());
            assertEquals(4 * (4 + 4 + 2), cols.segment().byteSize());
            var e = assertThrows(IllegalArgumentException.class, cols::toFloatArray);
            assertTrue(e.getMessage().startsWith("tensor must be contiguous"), e.getMessage());
            Tensor flat = rows.reshape(2, 2, 2);
            assertArrayEquals(new long[] {2, 2, 2}, flat.shape());
            e = assertThrows(IllegalArgumentException.class, () -> t.reshape(5, 2));
            assertEquals("cannot reshape [3, 4] (12 elements) to [5, 2] (10 elements)", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> cols.reshape(6));
            assertThrows(IndexOutOfBoundsException.class, () -> t.slice(0, 2, 4));
            assertThrows(IndexOutOfBoundsException.class, () -> t.slice(2, 0, 1));
        }
    }

    @Test
    void viewReadsTheSameBytesAsAnotherDtype() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor bytes = Tensor.allocate(arena, DType.U8, Device.CPU, 64);
            Tensor f = bytes.view(DType.F32, 2, 3);
            f.copyFrom(Tensor.of(arena, new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
            assertEquals(bytes.segment().address(), f.segment().address());
            assertEquals(Float.floatToRawIntBits(2f), bytes.view(DType.I32, 16).toIntArray()[1]);  // shares memory
            assertArrayEquals(new float[] {4, 5, 6}, bytes.view(DType.F32, 2, 3).slice(0, 1, 2).toFloatArray());
            // A view of a view that starts 16 bytes in: offsets carry over in bytes, I4 views count half bytes.
            Tensor tail = bytes.view(DType.F32, 16).slice(0, 4, 16);
            assertEquals(bytes.segment().address() + 16, tail.view(DType.I4, 2, 8).segment().address());
            assertEquals(bytes.segment().address() + 16, tail.view(DType.F16, 24).segment().address());

            var e = assertThrows(IllegalArgumentException.class, () -> bytes.view(DType.F32, 17));
            assertEquals("a F32 view of shape [17] needs 68 bytes; this tensor has 64", e.getMessage());
            Tensor odd = bytes.slice(0, 2, 64);  // 2 bytes in: fine for F16, not for F32
            assertEquals(bytes.segment().address() + 2, odd.view(DType.F16, 4).segment().address());
            e = assertThrows(IllegalArgumentException.class, () -> odd.view(DType.F32, 4));
            assertTrue(e.getMessage().contains("not aligned to 4 bytes as F32 requires"), e.getMessage());
            Tensor cols = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 4).slice(1, 0, 2);
            e = assertThrows(IllegalArgumentException.class, () -> cols.view(DType.U8, 8));
            assertTrue(e.getMessage().startsWith("view needs a contiguous tensor"), e.getMessage());
            assertThrows(NullPointerException.class, () -> bytes.view(null, 4));
        }
        Tensor closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = Tensor.allocate(arena, DType.U8, Device.CPU, 16);
        }
        assertThrows(IllegalStateException.class, () -> closed.view(DType.F32, 4));
    }

    @Test
    void copyFromChecksAndCopies() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.of(arena, new float[] {1, 2, 3, 4}, 2, 2);
            Tensor dst = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 2);
            dst.copyFrom(src);
            assertArrayEquals(new float[] {1, 2, 3, 4}, dst.toFloatArray());
            var e = assertThrows(IllegalArgumentException.class, () -> dst.copyFrom(Tensor.allocate(arena, DType.F16, Device.CPU, 2, 2)));
            assertEquals("src has dtype F16 but dst has dtype F32: they must match", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> dst.copyFrom(Tensor.allocate(arena, DType.F32, Device.CPU, 4)));
            assertEquals("src has shape [4] but dst has shape [2, 2]: they must match", e.getMessage());
            Tensor copy = src.to(Device.CPU, arena);
            assertArrayEquals(src.toFloatArray(), copy.toFloatArray());
        }
    }

    @Test
    void largeCopiesStreamEveryByteAtAnyOffset() {
        // 32 MiB and more go through lb_cpu_copy's non-temporal path: a head up to a 16-byte boundary,
        // 64-byte blocks split over the pool, a tail; source and destination misaligned differently.
        long bytes = (32L << 20) + 77;
        try (Arena arena = Arena.ofConfined()) {
            Tensor raw = Tensor.allocate(arena, DType.U8, Device.CPU, bytes + 16);
            MemorySegment s = raw.segment();
            for (long i = 0; i < s.byteSize(); i++) s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 131 + (i >> 13)));
            Tensor src = raw.slice(0, 3, bytes + 3);
            Tensor dst = Tensor.allocate(arena, DType.U8, Device.CPU, bytes + 16).slice(0, 9, bytes + 9);
            dst.copyFrom(src);
            assertEquals(-1L, dst.segment().mismatch(src.segment()));
        }
    }

    @Test
    void arraysRoundTripAndCheckDtype() {
        try (Arena arena = Arena.ofConfined()) {
            assertArrayEquals(new int[] {1, -2, 3}, Tensor.of(arena, new int[] {1, -2, 3}, 3).toIntArray());
            assertArrayEquals(new short[] {1, 2}, Tensor.ofBits(arena, DType.BF16, new short[] {1, 2}, 2).toShortArray());
            assertArrayEquals(new byte[] {0x21, 0x43}, Tensor.ofBytes(arena, DType.I4, new byte[] {0x21, 0x43}, 4).toByteArray());
            Tensor f16 = Tensor.allocate(arena, DType.F16, Device.CPU, 2);
            var e = assertThrows(IllegalArgumentException.class, f16::toFloatArray);
            assertEquals("tensor has dtype F16, expected F32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofBits(arena, DType.F32, new short[2], 2));
            assertEquals("ofBits takes F16 or BF16, got F32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Tensor.ofBytes(arena, DType.U4, new byte[3], 4));
            assertEquals("3 bytes given but shape [4] of U4 needs 2", e.getMessage());
        }
    }

    @Test
    void devicesParseAndPrint() {
        assertEquals(Device.CPU, Device.parse("cpu"));
        assertEquals(Device.cuda(0), Device.parse("cuda"));
        assertEquals("cuda:3", Device.parse("CUDA:3").toString());
        var e = assertThrows(IllegalArgumentException.class, () -> Device.parse("tpu"));
        assertEquals("unknown device 'tpu': expected cpu, cuda or cuda:N", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    }

    @Test
    void dtypeCodesMatchTheHeader() {
        for (DType t : DType.values()) assertEquals(t, DType.ofCode(t.code()));
        assertEquals(dev.lowbit.bindings.lowbit_h.LB_DTYPE_FP8_E5M2(), DType.FP8_E5M2.code());
        assertEquals(dev.lowbit.bindings.lowbit_h.LB_DTYPE_I32(), DType.I32.code());
        assertEquals(dev.lowbit.bindings.lowbit_h.LB_DTYPE_U4(), DType.U4.code());
    }
}
