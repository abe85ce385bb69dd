package dev.lowbit.hadamard;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static dev.lowbit.support.Gpu.hostBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The CUDA rotation equals the CPU's bit for bit (same operation order). Skips without a GPU. */
class HadamardCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    @Test
    void transformEqualsCpuBitForBit() {
        long[] sizes = {1, 2, 4, 8, 64, 1024, 4096, 16384, 32768, 12, 48, 384, 1536, 14336, 20 * 1024, 140 * 64};
        HadamardOptions[] options = {HadamardOptions.plain(), HadamardOptions.randomized(5), HadamardOptions.randomized(5).inverted()};
        for (long n : sizes) {
            for (DType in : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                for (HadamardOptions o : options) {
                    try (Arena arena = Arena.ofConfined()) {
                        int rows = 7;
                        Tensor x = Tensor.allocate(arena, in, Device.CPU, rows, n);
                        Convert.convert(Tensor.of(arena, HadamardTest.random(n, (int) (rows * n)), rows, n), x);
                        Tensor cpu = Hadamard.rotate(x, o, arena);
                        Tensor gpu = Hadamard.rotate(x.to(GPU, arena), o, arena);
                        assertArrayEquals(hostBytes(cpu, arena), hostBytes(gpu, arena), "n=" + n + " " + in + " " + o);
                    }
                }
            }
        }
    }

    @Test
    void inPlaceAndMixedDtypes() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 4096, rows = 33;
            Tensor x = Tensor.of(arena, HadamardTest.random(3, rows * n), rows, n);
            Tensor cpu = Tensor.allocate(arena, DType.BF16, Device.CPU, rows, n);
            Hadamard.rotate(x, cpu, HadamardOptions.randomized(2));
            Tensor gx = x.to(GPU, arena), gy = Tensor.allocate(arena, DType.BF16, GPU, rows, n);
            Hadamard.rotate(gx, gy, HadamardOptions.randomized(2));
            assertArrayEquals(hostBytes(cpu, arena), hostBytes(gy, arena));
            Hadamard.rotate(x, x, HadamardOptions.orthonormal());
            Hadamard.rotate(gx, gx, HadamardOptions.orthonormal());
            assertArrayEquals(hostBytes(x, arena), hostBytes(gx, arena));
        }
    }

    @Test
    void fusedQuantizeEqualsCpu() {
        // Row lengths that exercise the fused kernel's shapes: several rows per block (128), blocks
        // not a multiple of 32 threads (384), per-row ranges over many warps (4096, 8192, 16384), the
        // in-place m-part of the fixed cores (384 and 3072 = 12 * 2^k, 14336 = 28 * 512, 20480 = 20 * 1024),
        // the general m-part read from the core matrix twice (4608 = 36 * 128), and 1024 threads a row
        // taking several passes (32768).
        List<QuantFormat> formats = new ArrayList<>(HadamardTest.fusedFormats());
        formats.add(QuantFormat.uint4(Granularity.group(128)));  // odd block count at n = 384: a lone U4 zero
        for (long n : new long[] {3072, 128, 384, 4096, 8192, 16384, 14336, 20480, 4608, 32768}) {
            for (QuantFormat f : formats) {
                long bc = f.granularity().blockCols();
                if (bc != Granularity.WHOLE && n % bc != 0) continue;  // group(96): n = 384, 3072, 4608
                for (DType in : new DType[] {DType.F32, DType.BF16}) {
                    try (Arena arena = Arena.ofConfined()) {
                        int rows = 9;
                        Tensor x = Tensor.allocate(arena, in, Device.CPU, rows, n);
                        Convert.convert(Tensor.of(arena, HadamardTest.random(8, (int) (rows * n)), rows, n), x);
                        HadamardOptions o = HadamardOptions.randomized(4);
                        Quantized cpu = Hadamard.rotateQuantize(x, o, f, arena);
                        Quantized gpu = Hadamard.rotateQuantize(x.to(GPU, arena), o, f, arena);
                        String what = "n=" + n + " " + in + " " + f;
                        assertArrayEquals(hostBytes(cpu.q(), arena), hostBytes(gpu.q(), arena), what + " codes");
                        assertArrayEquals(hostBytes(cpu.scales(), arena), hostBytes(gpu.scales(), arena), what + " scales");
                        if (f.zeroDtype() != null) assertArrayEquals(hostBytes(cpu.zeros(), arena), hostBytes(gpu.zeros(), arena), what + " zeros");
                    }
                }
            }
        }
    }

    @Test
    void fusedQuantizeReportsNanLikeTheCpu() {
        for (QuantFormat f : List.of(QuantFormat.int8(Granularity.group(64)), QuantFormat.int4(Granularity.PER_ROW).withMseClip())) {
            try (Arena arena = Arena.ofConfined()) {
                int n = 256, rows = 4;
                float[] v = HadamardTest.random(1, rows * n);
                v[2 * n + 5] = Float.NaN;
                Tensor x = Tensor.of(arena, v, rows, n);
                HadamardOptions o = HadamardOptions.randomized(1);
                LowbitException cpu = assertThrows(LowbitException.class, () -> Hadamard.rotateQuantize(x, o, f, arena));
                LowbitException gpu = assertThrows(LowbitException.class, () -> Hadamard.rotateQuantize(x.to(GPU, arena), o, f, arena));
                assertEquals(cpu.getMessage(), gpu.getMessage(), f.toString());
            }
        }
    }

    @Test
    void rowsLongerThanTheCudaLimitAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, GPU, 1, 65536);
            assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(x, x, HadamardOptions.plain()));
        }
    }
}
