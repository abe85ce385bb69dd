package dev.lowbit.convert;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Every bad argument to {@link Convert#convert} is rejected in Java with a message naming it. */
class ConvertValidationTest {
    @Test
    void rejectsNonFloatDtypes() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor i8 = Tensor.allocate(arena, DType.I8, Device.CPU, 8);
            Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, 8);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(i8, f32));
            assertEquals("src has dtype I8, expected one of [F32, F16, BF16, FP8_E4M3, FP8_E5M2]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(f32, Tensor.allocate(arena, DType.I4, Device.CPU, 8)));
            assertTrue(e.getMessage().startsWith("dst has dtype I4"), e.getMessage());
        }
    }

    @Test
    void rejectsShapeMismatch() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 4);
            Tensor b = Tensor.allocate(arena, DType.F16, Device.CPU, 4, 2);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(a, b));
            assertEquals("src has shape [2, 4] but dst has shape [4, 2]: they must match", e.getMessage());
        }
    }

    @Test
    void rejectsClosedArena() {
        Tensor src, dst;
        try (Arena arena = Arena.ofConfined()) {
            src = Tensor.allocate(arena, DType.F32, Device.CPU, 4);
            dst = Tensor.allocate(arena, DType.F16, Device.CPU, 4);
        }
        var e = assertThrows(IllegalStateException.class, () -> Convert.convert(src, dst));
        assertTrue(e.getMessage().startsWith("src is closed"), e.getMessage());
    }

    @Test
    void rejectsClosedOwnedTensor() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.allocate(arena, DType.F32, Device.CPU, 4);
            Tensor dst = Tensor.allocate(DType.F16, Device.CPU, 4);
            dst.close();
            var e = assertThrows(IllegalStateException.class, () -> Convert.convert(src, dst));
            assertTrue(e.getMessage().startsWith("dst is closed"), e.getMessage());
        }
    }

    @Test
    void rejectsNonContiguousView() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 4).slice(1, 0, 2);
            Tensor dst = Tensor.allocate(arena, DType.F16, Device.CPU, 4, 2);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(src, dst));
            assertEquals("src must be contiguous (row-major, no gaps), but has shape [4, 2] with strides [4, 1]", e.getMessage());
        }
    }

    @Test
    void rejectsPartialOverlap() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor buffer = Tensor.allocate(arena, DType.F16, Device.CPU, 16);
            Tensor a = buffer.slice(0, 0, 8);
            Tensor b = buffer.slice(0, 4, 12);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(a, Tensor.wrap(b.segment(), DType.BF16, 8)));
            assertTrue(e.getMessage().startsWith("dst overlaps src"), e.getMessage());
            // f32 -> f16 in place would overwrite unread input: only equal element sizes may alias.
            Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, 8);
            Tensor f16Alias = Tensor.wrap(f32.segment(), DType.F16, 8);
            e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(f32, f16Alias));
            assertTrue(e.getMessage().contains("must be separate memory"), e.getMessage());
        }
    }

    @Test
    void rejectsReadOnlyDestination() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.allocate(arena, DType.F32, Device.CPU, 4);
            Tensor dst = Tensor.wrap(arena.allocate(8).asReadOnly(), DType.F16, 4);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(src, dst));
            assertEquals("dst is read-only but is written to", e.getMessage());
        }
    }

    @Test
    void rejectsTensorsOfAnotherThreadsConfinedArena() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.allocate(arena, DType.F32, Device.CPU, 4);
            Tensor dst = Tensor.allocate(arena, DType.F16, Device.CPU, 4);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    Convert.convert(src, dst);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
            assertTrue(thrown.get().getMessage().contains("confined Arena of another thread"), thrown.get().getMessage());
        }
    }

    @Test
    void cudaTensorsWithoutADeviceFailWithNoCuda() {
        assumeTrue(Lowbit.cudaDeviceCount() == 0, "a CUDA device is present");
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(LowbitException.class, () -> Tensor.allocate(arena, DType.F32, Device.cuda(0), 4));
            assertEquals(LowbitException.Status.NO_CUDA, e.status());
            assertTrue(e.getMessage().contains("no CUDA device"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> CudaStream.create(Device.cuda(0)));
            assertEquals(LowbitException.Status.NO_CUDA, e.status());
            e = assertThrows(LowbitException.class, () -> CudaStream.wrap(Device.cuda(0), 0x2));
            assertEquals(LowbitException.Status.NO_CUDA, e.status());
        }
        var iae = assertThrows(IllegalArgumentException.class, () -> CudaStream.wrap(Device.CPU, 0x2));
        assertTrue(iae.getMessage().contains("CUDA devices only"), iae.getMessage());
        iae = assertThrows(IllegalArgumentException.class, () -> CudaStream.wrap(Device.cuda(0), 0));
        assertTrue(iae.getMessage().contains("NULL"), iae.getMessage());
    }

    @Test
    void rejectsNullTensors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor t = Tensor.allocate(arena, DType.F32, Device.CPU, 4);
            var e = assertThrows(NullPointerException.class, () -> Convert.convert(null, t));
            assertEquals("src is null", e.getMessage());
        }
    }
}
