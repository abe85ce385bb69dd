package dev.lowbit.gemm;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.activation.Gelu;
import dev.lowbit.convert.Convert;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.support.Gpu;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.List;

import static dev.lowbit.support.Gpu.hostBytes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The CUDA GEMMs against the CPU: W8A8 bit for bit (exact int32 sums, the same epilogue operations), W4A16 within
 * f32 rounding of a bound on the products' magnitudes, FP8 against the exact double reference within the tensor
 * cores' accumulation precision. Skips without a GPU.
 */
class GemmCudaTest {
    private static final Device GPU = Device.cuda(0);

    @BeforeEach
    void needGpu() {
        Gpu.assumeCudaDevice();
    }

    private static Quantized toGpu(Quantized q, Arena arena) {
        return new Quantized(q.format(), q.q().to(GPU, arena), q.scales().to(GPU, arena), q.zeros() == null ? null : q.zeros().to(GPU, arena));
    }

    /**
     * -Dlowbit.cuda.small=true keeps only shapes a few tiles large: for runs under compute-sanitizer (bench/gpu/device.sh with
     * LOWBIT_SANITIZE=1), which slow every kernel down by orders of magnitude.
     */
    static final boolean SMALL = Boolean.getBoolean("lowbit.cuda.small");

    /** The shapes whose m·n·k stays below 2^24 when SMALL is set. */
    static int[][] sized(int[][] shapes) {
        return SMALL ? java.util.Arrays.stream(shapes).filter(s -> (long) s[0] * s[1] * s[2] < (1L << 24)).toArray(int[][]::new) : shapes;
    }

    // m, n, k: k % 16 != 0 takes the kernel's byte-load path, k % 16 == 0 its cp.async path; m and n off the
    // 128 x 128 tile, several k stages (64 each) and more stages than the pipeline's depth.
    private static final int[][] W8A8_SHAPES = sized(new int[][] {
        {1, 1, 1}, {1, 16, 16}, {3, 17, 20}, {17, 33, 100}, {33, 130, 96}, {128, 128, 64}, {129, 257, 1000}, {7, 384, 1536},
        {300, 1536, 384}, {1000, 200, 4096}});

    @Test
    void w8a8EqualsTheCpuBitForBit() {
        for (int[] s : W8A8_SHAPES) w8a8Case(s);
    }

    /**
     * Outputs of at least 132 tiles of 128 x 128 (the SM count of an H100 / H200) take the Hopper wgmma kernel on
     * compute capability 9.0 (the mma.sync one elsewhere): W8A8 bit for bit with the CPU, with k in one partial stage,
     * several stages and a partial last one; FP8 in every E4M3/E5M2 mix and scaling layout against the reference.
     * m and n are off the tile (1100 = 8·128 + 76, 2000 = 15·128 + 80).
     */
    @Test
    void wgmmaSizedGemmsMatch() {
        for (int[] s : new int[][] {{1100, 2000, 48}, {1100, 2000, 528}}) w8a8Case(s);
        if (SMALL) return;
        int[] s = {1100, 2000, 528};
        for (Fp8Reference fa : Fp8Reference.values())
            for (Fp8Reference fw : Fp8Reference.values()) fp8Case(fa, fw, Fp8GemmTest.Layout.ROW, Fp8GemmTest.Layout.ROW, s);
        fp8Case(Fp8Reference.E4M3, Fp8Reference.E4M3, Fp8GemmTest.Layout.TENSOR, Fp8GemmTest.Layout.TENSOR, s);
        // 128 x 128 weight blocks need n and k in whole blocks: 9 x 16 = 144 tiles, four k blocks.
        fp8Case(Fp8Reference.E4M3, Fp8Reference.E5M2, Fp8GemmTest.Layout.BLOCK, Fp8GemmTest.Layout.BLOCK, new int[] {1100, 2048, 512});
    }

    /**
     * Prefill calls of m >= 2048 rows on at least 4096 x 4096 weights take the K-major copy of the weights by default
     * on compute capability 9.0 (kmajor_copy.cuh's kmajor_mode; the small shapes above keep the register form): W8A8
     * still bit for bit with the CPU. (The FP8 GPU tests run the same path forced, LOWBIT_CUDA_KMAJOR=1, in
     * bench/gpu/device.sh's forms step; a double reference at this size would take minutes.)
     */
    @Test
    void largePrefillCallsOnTheKMajorDefaultMatch() {
        assumeFalse(SMALL, "a 2048 x 4096 x 4096 product");
        w8a8Case(new int[] {2048, 4096, 4096});
    }

    private static void w8a8Case(int[] s) {
        int m = s[0], n = s[1], k = s[2];
        byte[] a = W8A8Test.randomBytes(m * 31L + k, m * k), w = W8A8Test.randomBytes(n * 17L + k, n * k);
        float[] as = W4A16Test.gaussian(m, m, 0.01), ws = W4A16Test.gaussian(n, n, 0.01), bias = W4A16Test.gaussian(3, n, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            Tensor ta = W8A8Test.int8(arena, a, m, k), tw = W8A8Test.int8(arena, w, n, k);
            Tensor tas = Tensor.of(arena, as, m, 1), tws = Tensor.of(arena, ws, n, 1), tb = Tensor.of(arena, bias, n);
            W8A8.Weights cpuW = W8A8.prepack(tw, tws, arena);
            W8A8.Weights gpuW = W8A8.prepack(tw.to(GPU, arena), tws.to(GPU, arena), arena);
            assertArrayEquals(hostBytes(cpuW.packed(), arena), hostBytes(gpuW.packed(), arena), "packed bytes " + m + "x" + n + "x" + k);

            Tensor cpuAcc = Tensor.allocate(arena, DType.I32, Device.CPU, m, n), gpuAcc = Tensor.allocate(arena, DType.I32, GPU, m, n);
            W8A8.matmulInt32(ta, cpuW, cpuAcc);
            W8A8.matmulInt32(ta.to(GPU, arena), gpuW, gpuAcc);
            assertArrayEquals(hostBytes(cpuAcc, arena), hostBytes(gpuAcc, arena), "I32 " + m + "x" + n + "x" + k);

            QuantFormat f = QuantFormat.int8(Granularity.PER_ROW);
            Quantized qa = new Quantized(f, ta, tas, null), gqa = new Quantized(f, ta.to(GPU, arena), tas.to(GPU, arena), null);
            for (DType out : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                Tensor cpu = W8A8.matmul(qa, cpuW, tb, out, arena);
                Tensor gpu = W8A8.matmul(gqa, gpuW, tb.to(GPU, arena), out, arena);
                assertEquals(GPU, gpu.device());
                assertArrayEquals(hostBytes(cpu, arena), hostBytes(gpu, arena), out + " " + m + "x" + n + "x" + k);
            }
        }
    }

    /** The stream overloads queue the same kernels: W8A8 (split-K at this size) and W4A16 (tensor cores) on a stream equal the synchronous calls. */
    @Test
    void streamedMatmulsEqualSynchronousOnes() {
        int m = 16, n = 96, k = 512;
        try (Arena arena = Arena.ofConfined(); CudaStream stream = CudaStream.create(GPU)) {
            Tensor tw = W8A8Test.int8(arena, W8A8Test.randomBytes(7, n * k), n, k), tws = Tensor.of(arena, W4A16Test.gaussian(8, n, 0.01), n, 1);
            W8A8.Weights w8 = W8A8.prepack(tw.to(GPU, arena), tws.to(GPU, arena), arena);
            QuantFormat f = QuantFormat.int8(Granularity.PER_ROW);
            Quantized a = new Quantized(f, W8A8Test.int8(arena, W8A8Test.randomBytes(9, m * k), m, k).to(GPU, arena),
                    Tensor.of(arena, W4A16Test.gaussian(10, m, 0.01), m, 1).to(GPU, arena), null);
            Tensor sync = W8A8.matmul(a, w8, null, DType.F32, arena), async = Tensor.allocate(arena, DType.F32, GPU, m, n);
            W8A8.matmul(a, w8, null, async, stream);
            stream.synchronize();
            assertArrayEquals(hostBytes(sync, arena), hostBytes(async, arena), "W8A8 on a stream");

            Quantized w4 = Quantizer.quantize(Tensor.of(arena, W4A16Test.gaussian(11, n * k, 0.05), n, k), QuantFormat.uint4(Granularity.group(64)), arena);
            W4A16.Weights gw = W4A16.prepack(w4, arena).to(GPU, arena);
            Tensor x = Tensor.allocate(arena, DType.BF16, Device.CPU, m, k);
            Convert.convert(Tensor.of(arena, W4A16Test.gaussian(12, m * k, 1.0), m, k), x);
            Tensor gx = x.to(GPU, arena), y = Tensor.allocate(arena, DType.F32, GPU, m, n);
            W4A16.matmul(gx, gw, null, y, W4A16.Activations.EXACT, stream);
            stream.synchronize();
            assertArrayEquals(hostBytes(W4A16.matmul(gx, gw, null, DType.F32, arena), arena), hostBytes(y, arena), "W4A16 on a stream");

            // A stream with CPU operands, and a closed stream, are refused before anything runs.
            W8A8.Weights cpuW = W8A8.prepack(tw, tws, arena);
            Quantized cpuA = new Quantized(f, a.q().to(Device.CPU, arena), a.scales().to(Device.CPU, arena), null);
            Tensor cpuOut = Tensor.allocate(arena, DType.F32, Device.CPU, m, n);
            var e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmul(cpuA, cpuW, null, cpuOut, stream));
            assertEquals("stream: a CUDA stream was given for a CPU operation", e.getMessage());
            Tensor cpuX = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 8);
            e = assertThrows(IllegalArgumentException.class, () -> Gelu.apply(cpuX, cpuX, stream));
            assertEquals("stream: a CUDA stream was given for a CPU operation", e.getMessage());
            CudaStream closed = CudaStream.create(GPU);
            closed.close();
            var c = assertThrows(IllegalStateException.class, () -> W8A8.matmul(a, w8, null, async, closed));
            assertTrue(c.getMessage().contains("closed"), c.getMessage());
        }
    }

    @Test
    void w8a8UnalignedActivationsTakeTheBytePath() {
        // A view that starts 8 bytes into a row: 16-byte chunks of A are misaligned although k % 16 == 0.
        int m = 40, n = 96, k = 256;
        byte[] a = W8A8Test.randomBytes(1, (m + 1) * k), w = W8A8Test.randomBytes(2, n * k);
        try (Arena arena = Arena.ofConfined()) {
            Tensor tw = W8A8Test.int8(arena, w, n, k), tws = Tensor.of(arena, W4A16Test.gaussian(4, n, 0.01), n, 1);
            Tensor flat = Tensor.ofBytes(arena, DType.I8, a, (long) (m + 1) * k);
            Tensor cpuA = flat.slice(0, 8, 8 + (long) m * k).reshape(m, k);
            Tensor gpuA = flat.to(GPU, arena).slice(0, 8, 8 + (long) m * k).reshape(m, k);
            Tensor cpuAcc = Tensor.allocate(arena, DType.I32, Device.CPU, m, n), gpuAcc = Tensor.allocate(arena, DType.I32, GPU, m, n);
            W8A8.matmulInt32(cpuA, W8A8.prepack(tw, tws, arena), cpuAcc);
            W8A8.matmulInt32(gpuA, W8A8.prepack(tw.to(GPU, arena), tws.to(GPU, arena), arena), gpuAcc);
            assertArrayEquals(hostBytes(cpuAcc, arena), hostBytes(gpuAcc, arena));
        }
    }

    @Test
    void w4a4EqualsTheReferenceAndTheCpu() {
        // k % 32 != 0 (a partial 16-byte chunk of nibbles), k % 4 != 0 (padded quads), and the W8A8 shapes' tile edges.
        int[][] shapes = sized(new int[][] {{1, 16, 4}, {3, 17, 6}, {17, 33, 10}, {33, 130, 100}, {129, 257, 2050}, {300, 1536, 384},
            {7, 384, 1536}});
        for (int[] sh : shapes) {
            int m = sh[0], n = sh[1], k = sh[2];
            byte[] a = W4A4Test.randomNibbles(m * 5L + k, m * k), w = W4A4Test.randomNibbles(n * 3L + k, n * k);
            float[] as = W4A16Test.gaussian(m + 1, m, 0.01), ws = W4A16Test.gaussian(n + 2, n, 0.01), bias = W4A16Test.gaussian(9, n, 1.0);
            try (Arena arena = Arena.ofConfined()) {
                Quantized qa = W4A4Test.quantized(arena, a, as, m, k), qw = W4A4Test.quantized(arena, w, ws, n, k);
                W4A4.Weights cpuW = W4A4.prepack(qw, arena), gpuW = W4A4.prepack(toGpu(qw, arena), arena);
                assertArrayEquals(hostBytes(cpuW.packed(), arena), hostBytes(gpuW.packed(), arena), "packed bytes " + m + "x" + n + "x" + k);
                Tensor acc = Tensor.allocate(arena, DType.I32, GPU, m, n);
                W4A4.matmulInt32(qa.q().to(GPU, arena), gpuW, acc);
                long[] want = W4A4Test.reference(a, w, m, n, k);
                int[] got = acc.to(Device.CPU, arena).toIntArray();
                for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], "I32 " + m + "x" + n + "x" + k + " element " + i);
                for (DType out : new DType[] {DType.F32, DType.BF16}) {
                    Tensor cpu = W4A4.matmul(qa, cpuW, Tensor.of(arena, bias, n), out, arena);
                    Tensor gpu = W4A4.matmul(toGpu(qa, arena), gpuW, Tensor.of(arena, bias, n).to(GPU, arena), out, arena);
                    assertArrayEquals(hostBytes(cpu, arena), hostBytes(gpu, arena), out + " " + m + "x" + n + "x" + k);
                }
            }
        }
    }

    /** W4A8 on the GPU against the double reference, I4 and U4 weights (zero points), E4M3 and E5M2 activations. */
    @Test
    void w4a8MatchesTheReference() {
        List<QuantFormat> formats = List.of(QuantFormat.int4(Granularity.group(32)), QuantFormat.int4(Granularity.group(128)).withScaleDtype(DType.BF16),
                QuantFormat.uint4(Granularity.group(64)), QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withMseClip());
        int[][] shapes = sized(new int[][] {{1, 16, 128}, {3, 17, 256}, {17, 40, 384}, {130, 300, 1024}, {5, 384, 1536}, {64, 50, 224},
            {16, 200, 1024}});
        for (QuantFormat wf : formats)
            for (Fp8Reference f : Fp8Reference.values())
                for (int[] sh : shapes) {
                    int m = sh[0], n = sh[1], k = sh[2];
                    if (k % wf.granularity().blockCols() != 0) continue;  // groups along k only (resolve would throw)
                    float[] wv = W4A16Test.gaussian(n * 7L + k, n * k, 0.05), x = W4A16Test.gaussian(m * 13L + k, m * k, 1.0);
                    float[] bias = W4A16Test.gaussian(5, n, 0.1);
                    try (Arena arena = Arena.ofConfined()) {
                        Quantized w = Quantizer.quantize(Tensor.of(arena, wv, n, k), wf, arena);
                        QuantFormat af = f == Fp8Reference.E4M3 ? QuantFormat.fp8E4M3(Granularity.PER_ROW) : QuantFormat.fp8E5M2(Granularity.PER_ROW);
                        Quantized a = Quantizer.quantize(Tensor.of(arena, x, m, k), af, arena);
                        W4A16.Weights gw = W4A16.prepack(w, arena).to(GPU, arena);
                        Tensor y = W4A8.matmul(toGpu(a, arena), gw, Tensor.of(arena, bias, n).to(GPU, arena), DType.F32, arena);
                        W4A8Test.assertMatches(w, a, f, bias, y.to(Device.CPU, arena).toFloatArray(),
                                "cuda " + wf + " x " + f + " " + m + "x" + n + "x" + k, 0x1p-10);
                    }
                }
        try (Arena arena = Arena.ofConfined()) {  // groups that are not a multiple of 32: said plainly
            Quantized w = Quantizer.quantize(Tensor.of(arena, W4A16Test.gaussian(1, 16 * 96, 0.05), 16, 96), QuantFormat.int4(Granularity.group(48)), arena);
            Quantized a = Quantizer.quantize(Tensor.of(arena, W4A16Test.gaussian(2, 96, 1.0), 1, 96), W4A8.activationFormat(), arena);
            var e = assertThrows(dev.lowbit.LowbitException.class,
                    () -> W4A8.matmul(toGpu(a, arena), W4A16.prepack(w, arena).to(GPU, arena), null, DType.F32, arena));
            assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
        }
    }

    @Test
    void operandsOnTwoDevicesAreRejected() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor tw = W8A8Test.int8(arena, W8A8Test.randomBytes(5, 32 * 64), 32, 64), tws = Tensor.of(arena, W4A16Test.gaussian(6, 32, 0.01), 32, 1);
            W8A8.Weights cpuW = W8A8.prepack(tw, tws, arena);
            Tensor gpuA = W8A8Test.int8(arena, W8A8Test.randomBytes(7, 4 * 64), 4, 64).to(GPU, arena);
            var e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(gpuA, cpuW, Tensor.allocate(arena, DType.I32, GPU, 4, 32)));
            assertTrue(e.getMessage().contains("w packed is on cpu"), e.getMessage());
            Tensor gpuW4 = Tensor.allocate(arena, DType.U8, GPU, Native.w4a16PackedBytes(32, 64, 64));
            e = assertThrows(IllegalArgumentException.class, () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, GPU, 1, 64),
                    new W4A16.Weights(gpuW4, 32, 64, 64), null, Tensor.allocate(arena, DType.F32, GPU, 1, 32), W4A16.Activations.INT8));
            assertTrue(e.getMessage().contains("CPU decode path"), e.getMessage());
        }
    }

    /** |CUDA - CPU| <= 4e-6 * sum over l of |scale| (143 + |zero|) |x_l| (+ 1e-6 |y|): f32 rounding of the kernel's order. */
    private static float[] bounds(Quantized w, float[] x, int m) {
        int n = (int) w.rows(), k = (int) w.cols(), groups = (int) w.scales().dim(1), g = k / groups;
        boolean symmetric = w.format().qtype() == DType.I4;
        float[] b = new float[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                double sum = 0;
                for (int gi = 0; gi < groups; ++gi) {
                    double s = Math.abs(W4A16Test.scaleOf(w.scales(), j * groups + gi));
                    double z = symmetric ? 8 : Math.abs(W4A16Test.zeroOf(w, j, gi, groups));
                    double xs = 0;
                    for (int l = gi * g; l < gi * g + g; ++l) xs += Math.abs(x[i * k + l]);
                    sum += s * (143 + z) * xs;
                }
                b[i * n + j] = (float) (4e-6 * sum);
            }
        return b;
    }

    @Test
    void w4a16IsCloseToTheCpu() {
        List<QuantFormat> formats = List.of(
                QuantFormat.int4(Granularity.group(32)),
                QuantFormat.int4(Granularity.group(128)).withScaleDtype(DType.BF16),
                QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32),
                QuantFormat.uint4(Granularity.group(64)),
                QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withMseClip(),
                QuantFormat.int4(Granularity.group(6)));  // not a multiple of 8: the kernel's one-pair chunks
        // F16/BF16 x with m >= 2 and groups of 16 k take the tensor-core kernel: 1, 2 (m = 16, 12), 4 and 8 row tiles of 8
        // (m = 33), several 64-row blocks (m = 70), split-K (n = 32 x k = 4096: few column blocks; m = 12 beside it, with
        // n = 200 leaving warps of the last column block idle); m = 1, F32 x and groups of 6 take the CUDA-core kernel.
        int[][] shapes = sized(new int[][] {{1, 16, 96}, {2, 17, 192}, {3, 40, 384}, {4, 384, 1536}, {5, 1536, 384}, {17, 100, 768},
            {1, 4096, 4104}, {33, 48, 512}, {70, 64, 256}, {8, 32, 4096}, {16, 200, 1024}, {12, 32, 4096},
            // m = 1 with more column blocks (513) than an H100 / H200 holds decode blocks at once (132 x 3):
            // blocks stream through several column blocks each, the last one partial.
            {1, 8200, 4096}});
        for (QuantFormat f : formats) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                if (f.granularity().blockCols() > 0 && k % f.granularity().blockCols() != 0) continue;  // resolve would throw
                float[] wf = W4A16Test.gaussian(n * 7L + k, n * k, 0.05), x = W4A16Test.gaussian(m * 13L + k, m * k, 1.0);
                float[] bias = W4A16Test.gaussian(5, n, 0.1);
                try (Arena arena = Arena.ofConfined()) {
                    Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), f, arena);
                    W4A16.Weights cpuW = W4A16.prepack(w, arena), gpuW = W4A16.prepack(toGpu(w, arena), arena);
                    assertArrayEquals(hostBytes(cpuW.packed(), arena), hostBytes(gpuW.packed(), arena), "packed bytes " + f);
                    float[] bound = bounds(w, x, m);
                    for (DType xt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                        Tensor tx = Tensor.allocate(arena, xt, Device.CPU, m, k);
                        Convert.convert(Tensor.of(arena, x, m, k), tx);
                        float[] cpu = W4A16.matmul(tx, cpuW, Tensor.of(arena, bias, n), DType.F32, arena).toFloatArray();
                        Tensor gy = W4A16.matmul(tx.to(GPU, arena), gpuW, Tensor.of(arena, bias, n).to(GPU, arena), DType.F32, arena);
                        float[] gpu = gy.to(Device.CPU, arena).toFloatArray();
                        for (int i = 0; i < cpu.length; ++i) {
                            float tol = bound[i] + 1e-6f * Math.abs(cpu[i]);
                            assertTrue(Math.abs(cpu[i] - gpu[i]) <= tol, f + " x " + xt + " " + m + "x" + n + "x" + k + " element " + i + ": cpu "
                                    + cpu[i] + " gpu " + gpu[i] + " tolerance " + tol);
                        }
                    }
                    // BF16 output: the CUDA F32 result rounded once more, so within the bound plus half a bf16 ulp.
                    Tensor gb = W4A16.matmul(Tensor.of(arena, x, m, k).to(GPU, arena), gpuW, null, DType.BF16, arena);
                    Tensor gf = W4A16.matmul(Tensor.of(arena, x, m, k).to(GPU, arena), gpuW, null, DType.F32, arena);
                    Tensor narrowed = Tensor.allocate(arena, DType.BF16, Device.CPU, m, n);
                    Convert.convert(gf.to(Device.CPU, arena), narrowed);
                    assertArrayEquals(hostBytes(narrowed, arena), hostBytes(gb, arena), "bf16 output " + f);
                }
            }
        }
    }

    /**
     * FP8 on the GPU: every scaling layout, E4M3/E5M2 mixes, odd shapes and several 128-k blocks, against the double
     * reference. Tolerance 2⁻¹⁰·Σ|a·w|·|scale|: Hopper's fp8 tensor cores keep fewer bits than f32 while they
     * accumulate (the kernel folds their sums into f32 every 128 k to bound that), far tighter than any layout or
     * indexing error would give.
     */
    @Test
    void fp8MatchesTheReference() {
        Fp8GemmTest.Layout[][] layouts = {
            {Fp8GemmTest.Layout.TENSOR, Fp8GemmTest.Layout.TENSOR}, {Fp8GemmTest.Layout.ROW, Fp8GemmTest.Layout.ROW},
            {Fp8GemmTest.Layout.TENSOR, Fp8GemmTest.Layout.ROW}, {Fp8GemmTest.Layout.ROW, Fp8GemmTest.Layout.TENSOR}};
        int[][] big = sized(new int[][] {{300, 1024, 1000}, {129, 257, 4096}});
        for (Fp8Reference fa : Fp8Reference.values())
            for (Fp8Reference fw : Fp8Reference.values()) {
                for (Fp8GemmTest.Layout[] l : layouts) {
                    for (int[] s : sized(Fp8GemmTest.SHAPES)) fp8Case(fa, fw, l[0], l[1], s);
                    for (int[] s : big) fp8Case(fa, fw, l[0], l[1], s);
                }
                for (int[] s : Fp8GemmTest.BLOCK_SHAPES) fp8Case(fa, fw, Fp8GemmTest.Layout.BLOCK, Fp8GemmTest.Layout.BLOCK, s);
                if (!SMALL) fp8Case(fa, fw, Fp8GemmTest.Layout.BLOCK, Fp8GemmTest.Layout.BLOCK, new int[] {200, 384, 1024});
            }
    }

    private static void fp8Case(Fp8Reference fa, Fp8Reference fw, Fp8GemmTest.Layout la, Fp8GemmTest.Layout lw, int[] shape) {
        int m = shape[0], n = shape[1], k = shape[2];
        long seed = m * 31L + n * 7L + k + fa.ordinal() * 3 + fw.ordinal() * 5 + la.ordinal() * 11 + lw.ordinal() * 13;
        var a = Fp8GemmTest.Operand.random(fa, la, m, k, false, seed);
        var w = Fp8GemmTest.Operand.random(fw, lw, n, k, true, seed + 99);
        float[] bias = Fp8GemmTest.randomScales(seed + 7, n);
        try (Arena arena = Arena.ofConfined()) {
            Fp8Gemm.Weights gw = Fp8Gemm.prepack(toGpu(w.quantized(arena), arena), arena);
            Tensor out = Fp8Gemm.matmul(toGpu(a.quantized(arena), arena), gw, Tensor.of(arena, bias, n).to(GPU, arena), DType.F32, arena);
            assertEquals(GPU, out.device());
            Fp8GemmTest.assertMatches(a, w, bias, out.to(Device.CPU, arena).toFloatArray(),
                    "cuda " + fa + " x " + fw + " " + la + "/" + lw + " " + m + "x" + n + "x" + k, 0x1p-10);
        }
    }
}
