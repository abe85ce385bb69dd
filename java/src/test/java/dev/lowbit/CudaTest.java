package dev.lowbit;

import dev.lowbit.convert.Convert;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.hadamard.HadamardOptions;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.ConvertCases;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;

import static dev.lowbit.support.Gpu.hostBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** CUDA memory, streams and the convert kernel: CUDA must equal the CPU bit for bit. Skips without a GPU. */
class CudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    @Test
    void devicesAreDescribed() {
        CudaDevice d = Lowbit.cudaDevices().getFirst();
        assertTrue(d.major() >= 8, d.toString());
        assertTrue(d.totalMemoryBytes() > 1L << 30, d.toString());
    }

    @Test
    void hostDeviceRoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            float[] values = ConvertCases.randomBits(100_003, 5);
            Tensor host = Tensor.of(arena, values, values.length);
            Tensor dev = host.to(GPU, arena);
            assertEquals(GPU, dev.device());
            Tensor dev2 = Tensor.allocate(arena, DType.F32, GPU, values.length);
            dev2.copyFrom(dev);
            Tensor back = dev2.to(Device.CPU, arena);
            assertArrayEquals(bits(values), bits(back.toFloatArray()));
        }
    }

    @Test
    void convertEqualsCpuBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            short[] patterns = new short[1 << 16];
            for (int i = 0; i < patterns.length; i++) patterns[i] = (short) i;
            for (DType half : new DType[] {DType.F16, DType.BF16}) {
                Tensor src = Tensor.ofBits(arena, half, patterns, patterns.length);
                assertArrayEquals(bits(convertOn(Device.CPU, src, DType.F32, arena).toFloatArray()),
                        bits(convertOn(GPU, src, DType.F32, arena).toFloatArray()), half + " -> F32");
                DType other = half == DType.F16 ? DType.BF16 : DType.F16;
                assertArrayEquals(convertOn(Device.CPU, src, other, arena).toShortArray(),
                        convertOn(GPU, src, other, arena).toShortArray(), half + " -> " + other);
            }
            for (float[] values : new float[][] {ConvertCases.f16Boundaries(), ConvertCases.bf16Boundaries(), ConvertCases.randomBits(3_000_001, 3)}) {
                Tensor src = Tensor.of(arena, values, values.length);
                for (DType half : new DType[] {DType.F16, DType.BF16}) {
                    assertArrayEquals(convertOn(Device.CPU, src, half, arena).toShortArray(),
                            convertOn(GPU, src, half, arena).toShortArray(), "F32 -> " + half);
                }
            }
        }
    }

    @Test
    void convertOnAStream() {
        try (Arena arena = Arena.ofConfined(); CudaStream stream = CudaStream.create(GPU)) {
            float[] values = ConvertCases.randomBits(1 << 20, 11);
            Tensor src = Tensor.of(arena, values, values.length).to(GPU, arena);
            Tensor dst = Tensor.allocate(arena, DType.BF16, GPU, values.length);
            Convert.convert(src, dst, stream);
            stream.synchronize();
            Tensor cpu = Tensor.allocate(arena, DType.BF16, Device.CPU, values.length);
            Convert.convert(Tensor.of(arena, values, values.length), cpu);
            assertArrayEquals(cpu.toShortArray(), dst.to(Device.CPU, arena).toShortArray());
        }
    }

    @Test
    void convertOnAWrappedStream() {
        // cudaStreamPerThread (handle 0x2) stands in for a stream another library owns; closing the wrapper must
        // leave it alone (destroying it would fail).
        try (Arena arena = Arena.ofConfined()) {
            float[] values = ConvertCases.randomBits(1 << 16, 12);
            Tensor src = Tensor.of(arena, values, values.length).to(GPU, arena);
            Tensor dst = Tensor.allocate(arena, DType.F16, GPU, values.length);
            try (CudaStream stream = CudaStream.wrap(GPU, 0x2)) {
                Convert.convert(src, dst, stream);
                stream.synchronize();
            }
            Tensor cpu = Tensor.allocate(arena, DType.F16, Device.CPU, values.length);
            Convert.convert(Tensor.of(arena, values, values.length), cpu);
            assertArrayEquals(cpu.toShortArray(), dst.to(Device.CPU, arena).toShortArray());
        }
    }

    @Test
    void misuseIsRejected() {
        try (Arena arena = Arena.ofConfined(); CudaStream stream = CudaStream.create(GPU)) {
            Tensor host = Tensor.allocate(arena, DType.F32, Device.CPU, 8);
            Tensor dev = Tensor.allocate(arena, DType.F16, GPU, 8);
            var e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(host, dev));
            assertEquals("src is on cpu but dst is on cuda:0: both must be on the same device", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Convert.convert(host, Tensor.allocate(arena, DType.F16, Device.CPU, 8), stream));
            assertEquals("stream: a CUDA stream was given for a CPU operation", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, dev::toShortArray);
            assertTrue(e.getMessage().startsWith("tensor is on cuda:0: copy it to the CPU first"), e.getMessage());
            // The device address is not readable from Java: an exception, never a crash.
            assertThrows(IndexOutOfBoundsException.class, () -> dev.segment().get(ValueLayout.JAVA_BYTE, 0));
            var le = assertThrows(LowbitException.class, () -> Tensor.allocate(arena, DType.F32, Device.cuda(Lowbit.cudaDeviceCount()), 4));
            assertEquals(LowbitException.Status.NO_CUDA, le.status());
        }
    }

    @Test
    void closingTheArenaFreesDeviceMemory() {
        Tensor t;
        try (Arena arena = Arena.ofConfined()) {
            t = Tensor.allocate(arena, DType.F32, GPU, 1 << 20);
            assertTrue(t.isAlive());
        }
        assertFalse(t.isAlive());
        assertThrows(IllegalStateException.class, () -> t.to(Device.CPU, Arena.global()));
    }

    @Test
    void fp8ConvertEqualsCpuBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            // Random bit patterns, then every rounding boundary of both formats (the GPU encodes
            // saturating values with the hardware's cvt on sm_89+, the CPU with integer code).
            float[] values = ConvertCases.concat(ConvertCases.randomBits(2_000_003, 21), ConvertCases.fp8Boundaries(Fp8Reference.E4M3),
                    ConvertCases.fp8Boundaries(Fp8Reference.E5M2));
            Tensor src = Tensor.of(arena, values, values.length);
            for (DType fp8 : new DType[] {DType.FP8_E4M3, DType.FP8_E5M2}) {
                Tensor codes = convertOn(Device.CPU, src, fp8, arena);
                assertArrayEquals(codes.toByteArray(), convertOn(GPU, src, fp8, arena).toByteArray(), "F32 -> " + fp8);
                Tensor sat = Tensor.allocate(arena, fp8, GPU, values.length);
                Convert.convertSaturating(src.to(GPU, arena), sat);
                Tensor satCpu = Tensor.allocate(arena, fp8, Device.CPU, values.length);
                Convert.convertSaturating(src, satCpu);
                assertArrayEquals(satCpu.toByteArray(), sat.to(Device.CPU, arena).toByteArray(), "saturating F32 -> " + fp8);
                assertArrayEquals(bits(convertOn(Device.CPU, codes, DType.F32, arena).toFloatArray()),
                        bits(convertOn(GPU, codes, DType.F32, arena).toFloatArray()), fp8 + " -> F32");
                // Every code, the NaNs of both signs included (encoding makes only 0x7F): the GPU
                // decodes E4M3 with the hardware's cvt on sm_89+.
                byte[] all = new byte[256];
                for (int c = 0; c < 256; c++) all[c] = (byte) c;
                Tensor every = Tensor.ofBytes(arena, fp8, all, 256);
                for (DType to : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    assertArrayEquals(hostBytes(convertOn(Device.CPU, every, to, arena), arena), hostBytes(convertOn(GPU, every, to, arena), arena),
                            "every " + fp8 + " code -> " + to);
                }
            }
        }
    }

    @Test
    void quantizeEqualsCpuBitForBit() {
        try (Arena arena = Arena.ofConfined()) {
            float[] x = ConvertCases.randomBits(256 * 384, 3);
            for (int i = 0; i < x.length; i++) if (!Float.isFinite(x[i]) || Math.abs(x[i]) > 1e30f) x[i] = i % 7;
            Tensor host = Tensor.of(arena, x, 256, 384);
            Tensor dev = host.to(GPU, arena);
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.int8(Granularity.PER_COLUMN),
                    QuantFormat.int4(Granularity.group(32)).withMseClip().withScaleDtype(DType.F32),
                    QuantFormat.uint4(Granularity.group(128)).withScaleDtype(DType.F32),
                    QuantFormat.fp8E4M3(Granularity.block(128, 128)), QuantFormat.fp8E5M2(Granularity.PER_TENSOR))) {
                Quantized cpu = Quantizer.quantize(host, f, arena);
                Quantized gpu = Quantizer.quantize(dev, f, arena);
                assertArrayEquals(cpu.q().toByteArray(), gpu.q().to(Device.CPU, arena).toByteArray(), "codes " + f);
                assertArrayEquals(bits(cpu.scales().toFloatArray()), bits(gpu.scales().to(Device.CPU, arena).toFloatArray()), "scales " + f);
                if (cpu.zeros() != null) {
                    assertArrayEquals(cpu.zeros().toByteArray(), gpu.zeros().to(Device.CPU, arena).toByteArray(), "zeros " + f);
                }
                assertArrayEquals(bits(Quantizer.dequantize(cpu, DType.F32, arena).toFloatArray()),
                        bits(Quantizer.dequantize(gpu, DType.F32, arena).to(Device.CPU, arena).toFloatArray()), "dequantized " + f);
                assertArrayEquals(Quantizer.dequantize(cpu, DType.BF16, arena).toShortArray(),
                        Quantizer.dequantize(gpu, DType.BF16, arena).to(Device.CPU, arena).toShortArray(), "dequantized to BF16 " + f);
            }
            // F16 input (the run-of-8 kernels' 16-byte half loads) and groups of 6 (not a multiple of 8: per-byte kernels).
            float[] small = x.clone();  // within F16's range (x runs to 1e30: Inf in F16, which quantize rejects)
            for (int i = 0; i < small.length; i++) if (Math.abs(small[i]) > 6e4f) small[i] = -(i % 9);
            Tensor half = Tensor.allocate(arena, DType.F16, Device.CPU, 256, 384);
            Convert.convert(Tensor.of(arena, small, 256, 384), half);
            for (QuantFormat f : List.of(QuantFormat.uint4(Granularity.group(64)), QuantFormat.int8(Granularity.group(6)))) {
                Quantized cpu = Quantizer.quantize(half, f, arena), gpu = Quantizer.quantize(half.to(GPU, arena), f, arena);
                assertArrayEquals(cpu.q().toByteArray(), gpu.q().to(Device.CPU, arena).toByteArray(), "codes from F16 " + f);
                assertArrayEquals(Quantizer.dequantize(cpu, DType.F16, arena).toShortArray(),
                        Quantizer.dequantize(gpu, DType.F16, arena).to(Device.CPU, arena).toShortArray(), "dequantized to F16 " + f);
            }
            // Longer rows over more warps than one thread block holds (the range pass runs a warp per row segment), and
            // enough of them that the grid-stride kernels take several steps on a 132-SM card: the one-pass block kernel
            // (a thread block per row of 4096: ranged, then coded from a second read) and tile kernel (over 2112 blocks'
            // worth of lanes) with their next loads in flight, and dequantize's run walk (over 540K runs of 8).
            float[] big = ConvertCases.randomBits(1200 * 4096, 4);
            for (int i = 0; i < big.length; i++) if (!Float.isFinite(big[i]) || Math.abs(big[i]) > 1e30f) big[i] = -(i % 5);
            Tensor bigHost = Tensor.of(arena, big, 1200, 4096), bigDev = bigHost.to(GPU, arena);
            // F32 scales: big runs to 1e30, whose int4 scales overflow the default F16 (both sides reject that).
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.int4(Granularity.group(64)).withScaleDtype(DType.F32),
                    QuantFormat.uint4(Granularity.group(128)).withScaleDtype(DType.F32), QuantFormat.fp8E4M3(Granularity.PER_ROW))) {
                Quantized cpu = Quantizer.quantize(bigHost, f, arena), gpu = Quantizer.quantize(bigDev, f, arena);
                assertArrayEquals(cpu.q().toByteArray(), gpu.q().to(Device.CPU, arena).toByteArray(), "codes 1200x4096 " + f);
                assertArrayEquals(bits(cpu.scales().toFloatArray()), bits(gpu.scales().to(Device.CPU, arena).toFloatArray()), "scales " + f);
                if (cpu.zeros() != null)
                    assertArrayEquals(cpu.zeros().toByteArray(), gpu.zeros().to(Device.CPU, arena).toByteArray(), "zeros 1200x4096 " + f);
                assertArrayEquals(bits(Quantizer.dequantize(cpu, DType.F32, arena).toFloatArray()),
                        bits(Quantizer.dequantize(gpu, DType.F32, arena).to(Device.CPU, arena).toFloatArray()), "dequantized 1200x4096 " + f);
            }
            // 128 x 128 blocks (the block kernel again: 16 rows of a block a pass of its 256 threads; 320 blocks) with
            // F32 and F16 input, then a NaN in block (3, 7) of them.
            float[] tall = Arrays.copyOf(big, 1280 * 4096);
            Tensor tallHost = Tensor.of(arena, tall, 1280, 4096), tallDev = tallHost.to(GPU, arena);
            Tensor tallHalf = Tensor.allocate(arena, DType.F16, Device.CPU, 1280, 4096);
            float[] tallSmall = tall.clone();
            for (int i = 0; i < tallSmall.length; i++) if (Math.abs(tallSmall[i]) > 6e4f) tallSmall[i] = -(i % 7);
            Convert.convert(Tensor.of(arena, tallSmall, 1280, 4096), tallHalf);
            QuantFormat blocks = QuantFormat.fp8E4M3(Granularity.block(128, 128)).withScaleDtype(DType.F32);
            for (Tensor in : List.of(tallHost, tallHalf)) {
                Quantized cpu = Quantizer.quantize(in, blocks, arena), gpu = Quantizer.quantize(in.to(GPU, arena), blocks, arena);
                assertArrayEquals(cpu.q().toByteArray(), gpu.q().to(Device.CPU, arena).toByteArray(), "codes 1280x4096 " + in.dtype() + " " + blocks);
                assertArrayEquals(bits(cpu.scales().toFloatArray()), bits(gpu.scales().to(Device.CPU, arena).toFloatArray()),
                        "scales 1280x4096 " + in.dtype() + " " + blocks);
            }
            tall[(3 * 128 + 5) * 4096 + 7 * 128 + 9] = Float.NaN;
            Tensor tallBad = Tensor.of(arena, tall, 1280, 4096).to(GPU, arena);
            var blockNan = assertThrows(LowbitException.class, () -> Quantizer.quantize(tallBad, blocks, arena));
            assertTrue(blockNan.getMessage().startsWith("lb_quantize: x has NaN or Inf in block (3, 7)"), blockNan.getMessage());
            // Rows of 1536 (the one-pass warp kernel: a warp per row, 6 runs of 8 per lane), F16 zero points per row.
            float[] mid = Arrays.copyOf(big, 300 * 1536);
            Tensor midHost = Tensor.of(arena, mid, 300, 1536), midDev = midHost.to(GPU, arena);
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.PER_ROW),
                    QuantFormat.uint4(Granularity.PER_ROW).withScaleDtype(DType.F32).withZeroDtype(DType.F16))) {
                Quantized cpu = Quantizer.quantize(midHost, f, arena), gpu = Quantizer.quantize(midDev, f, arena);
                assertArrayEquals(cpu.q().toByteArray(), gpu.q().to(Device.CPU, arena).toByteArray(), "codes 300x1536 " + f);
                assertArrayEquals(bits(cpu.scales().toFloatArray()), bits(gpu.scales().to(Device.CPU, arena).toFloatArray()), "scales " + f);
                if (cpu.zeros() != null)
                    assertArrayEquals(hostBytes(cpu.zeros(), arena), hostBytes(gpu.zeros(), arena), "zeros 300x1536 " + f);
            }
            float[] bad = x.clone();
            bad[300] = Float.NaN;
            Tensor badDev = Tensor.of(arena, bad, 256, 384).to(GPU, arena);
            var e = assertThrows(LowbitException.class, () -> Quantizer.quantize(badDev, QuantFormat.int8(Granularity.PER_ROW), arena));
            assertTrue(e.getMessage().startsWith("lb_quantize: x has NaN or Inf in block (0, 0)"), e.getMessage());
            // Groups of 32 (the one-pass tile kernel) and one block per tensor (the four-kernel path, one block: its
            // failure index once sat at an odd 4-byte offset of the scratch, misaligned for its 8-byte atomic).
            e = assertThrows(LowbitException.class, () -> Quantizer.quantize(badDev, QuantFormat.int4(Granularity.group(32)), arena));
            assertTrue(e.getMessage().startsWith("lb_quantize: x has NaN or Inf in block (0, 9)"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Quantizer.quantize(badDev, QuantFormat.fp8E4M3(Granularity.PER_TENSOR), arena));
            assertTrue(e.getMessage().startsWith("lb_quantize: x has NaN or Inf in block (0, 0)"), e.getMessage());
            Quantizer.quantize(dev, QuantFormat.int8(Granularity.PER_ROW), arena);  // the device is still usable
        }
    }

    /** On a stream, quantizing queues its checks: a NaN surfaces at synchronize (the first failing call), then the stream is clean. */
    @Test
    void quantizeChecksOnAStreamAreReportedBySynchronize() {
        try (Arena arena = Arena.ofConfined(); CudaStream stream = CudaStream.create(GPU)) {
            float[] x = new float[64 * 256];
            for (int i = 0; i < x.length; i++) x[i] = (i % 17) - 8;
            float[] bad = x.clone();
            bad[3 * 256 + 5] = Float.NaN;
            QuantFormat f = QuantFormat.int8(Granularity.PER_ROW);
            Tensor good = Tensor.of(arena, x, 64, 256).to(GPU, arena), nan = Tensor.of(arena, bad, 64, 256).to(GPU, arena);
            Quantized out = Quantizer.allocate(f, 64, 256, GPU, arena);
            Quantizer.quantize(good, out, stream);
            Quantizer.quantize(nan, out, stream);  // queued: no exception yet
            Hadamard.rotateQuantize(nan, HadamardOptions.randomized(1), out, stream);
            var e = assertThrows(LowbitException.class, stream::synchronize);
            assertTrue(e.getMessage().startsWith("lb_quantize: x has NaN or Inf in block (3, 0)"), e.getMessage());
            stream.synchronize();  // reported once
            Quantizer.quantize(good, out, stream);
            stream.synchronize();
            Quantized cpu = Quantizer.quantize(Tensor.of(arena, x, 64, 256), f, arena);
            assertArrayEquals(cpu.q().toByteArray(), out.q().to(Device.CPU, arena).toByteArray(), "codes after the failure");
        }
    }

    private static Tensor convertOn(Device device, Tensor hostSrc, DType to, Arena arena) {
        Tensor src = hostSrc.to(device, arena);
        Tensor dst = Tensor.allocate(arena, to, device, hostSrc.shape());
        Convert.convert(src, dst);
        return dst.to(Device.CPU, arena);
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }
}
