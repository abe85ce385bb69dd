package dev.lowbit.hadamard;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.FloatFormats;
import dev.lowbit.reference.HadamardReference;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rotation on every CPU variant against the dense double-precision product with H_n (for every core order
 * and several k) and, bit for bit, against the float emulation of lowbit's documented operation order.
 */
class HadamardTest {
    static final HadamardOptions[] OPTIONS = {
        HadamardOptions.plain(), HadamardOptions.orthonormal(), HadamardOptions.randomized(42),
        HadamardOptions.randomized(-7).inverted(), HadamardOptions.plain().inverted()};

    static long[] cores() {
        return Arrays.stream(Hadamard.supportedOrders().split(", ")).mapToLong(Long::parseLong).toArray();
    }

    static float[] random(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[count];
        for (int i = 0; i < count; ++i) x[i] = (float) r.nextGaussian() * (r.nextInt(50) == 0 ? 30f : 1f);
        return x;
    }

    static byte[] core(int m) {
        return m == 1 ? new byte[] {1} : Hadamard.matrix(m);
    }

    @Test
    void everyCoreOrderIsHadamard() {
        long[] cores = cores();
        assertTrue(cores.length >= 15, "core orders: " + Hadamard.supportedOrders());
        for (long m : new long[] {12, 20, 28, 36, 52, 60, 108, 140, 156, 172}) {
            assertTrue(Arrays.stream(cores).anyMatch(c -> c == m), "core order " + m + " missing from " + Hadamard.supportedOrders());
        }
        for (long m : cores) {
            assertEquals(new Hadamard.Factorization(m, 0), Hadamard.factor(m));
            assertTrue(HadamardReference.isHadamard(Hadamard.matrix((int) m), (int) m), "H_" + m + " H_" + m + "^T != " + m + " I");
        }
    }

    @Test
    void matrixIsTheKroneckerProductOfTheCoreAndSylvester() {
        for (int[] mk : new int[][] {{1, 5}, {12, 3}, {20, 2}, {28, 1}, {36, 4}}) {
            int m = mk[0], c = 1 << mk[1], n = m * c;
            byte[] h = Hadamard.matrix(n), core = core(m);
            assertTrue(HadamardReference.isHadamard(h, n), "H_" + n);
            for (int i = 0; i < n; ++i) {
                for (int j = 0; j < n; ++j) {
                    int syl = Integer.bitCount((i % c) & (j % c)) % 2 == 0 ? 1 : -1;
                    assertEquals(core[(i / c) * m + j / c] * syl, h[i * n + j], "H_" + n + "[" + i + "][" + j + "]");
                }
            }
        }
    }

    @Test
    void factorisations() {
        assertEquals(new Hadamard.Factorization(1, 0), Hadamard.factor(1));
        assertEquals(new Hadamard.Factorization(1, 14), Hadamard.factor(16384));
        assertEquals(new Hadamard.Factorization(28, 9), Hadamard.factor(14336));   // Llama-3 FFN
        assertEquals(new Hadamard.Factorization(20, 3), Hadamard.factor(160));     // 40 * 4 = 20 * 8
        assertEquals(new Hadamard.Factorization(12, 5), Hadamard.factor(384));     // MiniLM hidden
        assertEquals(new Hadamard.Factorization(12, 7), Hadamard.factor(1536));    // MiniLM FFN
        assertEquals(new Hadamard.Factorization(172, 6), Hadamard.factor(11008));  // Llama-2 FFN
        assertEquals(new Hadamard.Factorization(156, 0), Hadamard.factor(156));
        for (long bad : new long[] {0, -4, 3, 6, 10, 18, 188, 236 * 8, 1L << 27, 4 * 257}) {
            assertTrue(!Hadamard.isSupported(bad), "n = " + bad);
        }
    }

    /** n = m * 2^k for every core and several k, plus powers of two. */
    static List<int[]> sizes() {
        List<int[]> out = new ArrayList<>();
        for (int k = 0; k <= 12; ++k) out.add(new int[] {1, k});
        for (long m : cores()) {
            for (int k : new int[] {0, 1, 3, 5}) if (m << k <= 8192) out.add(new int[] {(int) m, k});
        }
        return out;
    }

    @Test
    void matchesTheDenseProductAndTheEmulationOnEveryVariant() {
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (int[] mk : sizes()) {
                    int m = mk[0], n = m << mk[1], rows = n >= 2048 ? 1 : 3;
                    byte[] h = n <= 2048 ? Hadamard.matrix(n) : null, core = core(m);
                    for (HadamardOptions o : OPTIONS) {
                        float[] x = random(n * 31L + o.hashCode(), rows * n);
                        float[] y;
                        try (Arena arena = Arena.ofConfined()) {
                            y = Hadamard.rotate(Tensor.of(arena, x, rows, n), o, arena).toFloatArray();
                        }
                        for (int r = 0; r < rows; ++r) {
                            String what = isa + " n=" + n + " " + o + " row " + r;
                            float[] emulated = HadamardReference.emulate(core, m, x, r * n, n, o);
                            assertArrayEquals(emulated, Arrays.copyOfRange(y, r * n, r * n + n), what);
                            if (h != null) assertClose(HadamardReference.dense(h, n, x, r * n, o), y, r * n, x, r * n, n, m, what);
                        }
                    }
                }
            });
        }
    }

    @Test
    void largePowersOfTwoMatchTheEmulation() {
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (int k : new int[] {13, 14, 15, 16, 18}) {
                    int n = 1 << k;
                    HadamardOptions o = HadamardOptions.randomized(k);
                    float[] x = random(k, 2 * n);
                    try (Arena arena = Arena.ofConfined()) {
                        float[] y = Hadamard.rotate(Tensor.of(arena, x, 2, n), o, arena).toFloatArray();
                        for (int r = 0; r < 2; ++r) {
                            assertArrayEquals(HadamardReference.emulate(new byte[] {1}, 1, x, r * n, n, o),
                                    Arrays.copyOfRange(y, r * n, r * n + n), isa + " n=2^" + k);
                        }
                    }
                }
            });
        }
    }

    /** |y - exact| <= (log2 c + m + 2) * 2^-24 * s * sum|x|: each output is a sum of n terms +-x, rounded at every stage. */
    static void assertClose(double[] exact, float[] y, int yOff, float[] x, int xOff, int n, int m, String what) {
        double sumAbs = 0;
        for (int i = 0; i < n; ++i) sumAbs += Math.abs(x[xOff + i]);
        int logc = Integer.numberOfTrailingZeros(n / m);
        double tol = (logc + m + 2) * 0x1p-24 * sumAbs;
        for (int i = 0; i < n; ++i) {
            double err = Math.abs(y[yOff + i] - exact[i]);
            if (err > tol) throw new AssertionError(what + ": element " + i + " = " + y[yOff + i] + ", exact " + exact[i] + " (tolerance " + tol + ")");
        }
    }

    @Test
    void inverseRestoresTheInput() {
        for (int n : new int[] {2, 64, 384, 1536, 4096, 14336}) {
            float[] x = random(n, 4 * n);
            try (Arena arena = Arena.ofConfined()) {
                for (HadamardOptions o : new HadamardOptions[] {HadamardOptions.plain(), HadamardOptions.randomized(9)}) {
                    Tensor t = Tensor.of(arena, x, 4, n);
                    Tensor y = Hadamard.rotate(t, o, arena);
                    float[] back = Hadamard.rotate(y, o.inverted(), arena).toFloatArray();
                    for (int i = 0; i < x.length; ++i) {
                        assertEquals(x[i], back[i], 1e-5 * (1 + Math.abs(x[i])) * Math.log(n + 1), "n=" + n + " " + o + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void halfPrecisionInputsAndOutputs() {
        int n = 768, rows = 5;  // 12 * 64
        HadamardOptions o = HadamardOptions.randomized(3);
        float[] x = random(5, rows * n);
        byte[] core = core(12);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (DType in : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    for (DType out : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                        try (Arena arena = Arena.ofConfined()) {
                            Tensor xt = Tensor.allocate(arena, in, Device.CPU, rows, n);
                            Convert.convert(Tensor.of(arena, x, rows, n), xt);
                            Tensor w = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
                            Convert.convert(xt, w);
                            float[] widened = w.toFloatArray();
                            Tensor yt = Tensor.allocate(arena, out, Device.CPU, rows, n);
                            Hadamard.rotate(xt, yt, o);
                            Tensor y32 = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
                            Convert.convert(yt, y32);
                            float[] y = y32.toFloatArray();
                            for (int r = 0; r < rows; ++r) {
                                float[] e = HadamardReference.emulate(core, 12, widened, r * n, n, o);
                                for (int i = 0; i < n; ++i) {
                                    float expect = switch (out) {
                                        case F16 -> FloatFormats.F16.decode(FloatFormats.F16.encode(e[i]));
                                        case BF16 -> FloatFormats.BF16.decode(FloatFormats.BF16.encode(e[i]));
                                        default -> e[i];
                                    };
                                    assertEquals(expect, y[r * n + i], isa + " " + in + " -> " + out + " element " + (r * n + i));
                                }
                            }
                        }
                    }
                }
            });
        }
    }

    /** The vector kernels widen half-precision inputs without quieting NaNs (the butterflies quiet
     *  them); a signalling or quiet NaN with a payload must still give the scalar variant's bits. */
    @Test
    void nanInputsGiveTheSameBitsOnEveryVariant() {
        int rows = 3;
        HadamardOptions o = HadamardOptions.randomized(9);
        for (int n : new int[] {256, 4096, 768}) {
            for (DType in : new DType[] {DType.F16, DType.BF16}) {
                short[] bits;
                try (Arena arena = Arena.ofConfined()) {
                    Tensor h = Tensor.allocate(arena, in, Device.CPU, rows, n);
                    Convert.convert(Tensor.of(arena, random(n, rows * n), rows, n), h);
                    bits = h.toShortArray();
                }
                boolean f16 = in == DType.F16;
                bits[5] = (short) (f16 ? 0x7d01 : 0x7f81);              // signalling, payload 1
                bits[n + n - 3] = (short) (f16 ? 0xfe05 : 0xffc5);      // quiet, negative, payload 5
                for (DType out : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    byte[] first = null;
                    Isa firstIsa = null;
                    for (Isa isa : Isas.available()) {
                        byte[][] got = new byte[1][];
                        Isas.with(isa, () -> {
                            try (Arena arena = Arena.ofConfined()) {
                                Tensor y = Tensor.allocate(arena, out, Device.CPU, rows, n);
                                Hadamard.rotate(Tensor.ofBits(arena, in, bits, rows, n), y, o);
                                Tensor y32 = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
                                Convert.convert(y, y32);
                                float[] v = y32.toFloatArray();
                                for (int i = 0; i < 2 * n; ++i) assertTrue(Float.isNaN(v[i]), isa + " row " + i / n + " element " + i % n);
                                for (int i = 2 * n; i < 3 * n; ++i) assertTrue(Float.isFinite(v[i]), isa + " clean row, element " + i % n);
                                got[0] = bytes(y);
                            }
                        });
                        if (first == null) {
                            first = got[0];
                            firstIsa = isa;
                        } else {
                            assertArrayEquals(first, got[0], isa + " vs " + firstIsa + ": n=" + n + " " + in + " -> " + out);
                        }
                    }
                }
            }
        }
    }

    /** bf16 outputs in the f32 subnormal range keep their bits (AVX512_BF16's VCVTNEPS2BF16 would flush
     *  them: the AVX-512 kernel narrows a pass with it, then again exactly when some output needed it),
     *  in and out of place, on every variant; rows of normal outputs beside them are unaffected. */
    @Test
    void subnormalBf16OutputsGiveTheSameBitsOnEveryVariant() {
        int rows = 3;
        HadamardOptions o = HadamardOptions.randomized(4);
        for (int n : new int[] {256, 4096, 768, 16384}) {
            float[] x = random(n, rows * n);
            for (int i = n; i < 2 * n; ++i) x[i] *= 1e-40f;  // row 1: subnormal inputs and outputs
            short[] first = null;
            Isa firstIsa = null;
            for (Isa isa : Isas.available()) {
                short[][] got = new short[2][];
                Isas.with(isa, () -> {
                    try (Arena arena = Arena.ofConfined()) {
                        Tensor y = Tensor.allocate(arena, DType.BF16, Device.CPU, rows, n);
                        Hadamard.rotate(Tensor.of(arena, x, rows, n), y, o);
                        got[0] = y.toShortArray();
                        Tensor t = Tensor.allocate(arena, DType.BF16, Device.CPU, rows, n);
                        Convert.convert(Tensor.of(arena, x, rows, n), t);
                        Tensor ref = Tensor.allocate(arena, DType.BF16, Device.CPU, rows, n);
                        Hadamard.rotate(t, ref, o);
                        Hadamard.rotate(t, t, o);
                        assertArrayEquals(ref.toShortArray(), t.toShortArray(), isa + " n=" + n + ": in place");
                    }
                });
                int subnormal = 0;
                for (int i = n; i < 2 * n; ++i) subnormal += (got[0][i] & 0x7f80) == 0 && (got[0][i] & 0x7f) != 0 ? 1 : 0;
                assertTrue(subnormal > n / 2, isa + " n=" + n + ": " + subnormal + " subnormal outputs in the small row");
                if (first == null) {
                    first = got[0];
                    firstIsa = isa;
                } else {
                    assertArrayEquals(first, got[0], isa + " vs " + firstIsa + ": n=" + n);
                }
            }
        }
    }

    @Test
    void inPlaceEqualsOutOfPlace() {
        int n = 1536;
        float[] x = random(11, 3 * n);
        try (Arena arena = Arena.ofConfined()) {
            HadamardOptions o = HadamardOptions.randomized(5);
            float[] expected = Hadamard.rotate(Tensor.of(arena, x, 3, n), o, arena).toFloatArray();
            Tensor t = Tensor.of(arena, x, 3, n);
            Hadamard.rotate(t, t, o);
            assertArrayEquals(expected, t.toFloatArray());
            Tensor b = Tensor.allocate(arena, DType.BF16, Device.CPU, 3, n);
            Convert.convert(Tensor.of(arena, x, 3, n), b);
            Tensor b2 = Tensor.allocate(arena, DType.BF16, Device.CPU, 3, n);
            Hadamard.rotate(b, b2, o);
            Hadamard.rotate(b, b, o);
            assertArrayEquals(b2.toShortArray(), b.toShortArray());
        }
    }

    /** Outputs of 32 MiB and more are written with non-temporal stores: 16-bit ones staged through a copy of the
     *  row when the last pass writes many places at once (n = 4096: 16 registers; 1536: the m-part's 12
     *  outputs; 16384 on AVX2, f32 too: 8 places 8 KiB apart, the stage skewed off the pass buffer's cache
     *  sets), directly otherwise (1024: 4 places, and every f32 output on AVX-512). Rotated in one call,
     *  they must equal the same rows rotated in calls small enough for ordinary stores, bit for bit. */
    @Test
    void streamedOutputsEqualOrdinaryStores() {
        HadamardOptions o = HadamardOptions.randomized(9);
        for (int n : new int[] {4096, 1536, 1024, 16384}) {
            int rows = (32 << 20) / (2 * n) + 3, batch = 256;
            try (Arena arena = Arena.ofConfined()) {
                Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
                MemorySegment xs = x.segment();
                for (long i = 0; i < (long) rows * n; ++i) {
                    xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 2654435761L % 2001) - 1000) * 1e-3f);
                }
                // A row of subnormal outputs and a NaN row: their passes run again with the exact bf16
                // narrowing after the streamed fast one (kernels.inc, run_pass).
                for (long i = 7L * n; i < 8L * n; ++i) xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, xs.getAtIndex(ValueLayout.JAVA_FLOAT, i) * 1e-40f);
                xs.setAtIndex(ValueLayout.JAVA_FLOAT, (long) (rows / 2) * n + 5, Float.NaN);
                for (Isa isa : Isas.available()) {
                    Isas.with(isa, () -> {
                        for (DType out : new DType[] {DType.BF16, DType.F16, DType.F32}) {
                            int r = out == DType.F32 ? rows / 2 + 3 : rows;
                            Tensor whole = Tensor.allocate(arena, out, Device.CPU, r, n), parts = Tensor.allocate(arena, out, Device.CPU, r, n);
                            Hadamard.rotate(x.slice(0, 0, r), whole, o);
                            for (int r0 = 0; r0 < r; r0 += batch) {
                                int r1 = Math.min(r, r0 + batch);
                                Hadamard.rotate(x.slice(0, r0, r1), parts.slice(0, r0, r1), o);
                            }
                            assertEquals(-1, whole.segment().mismatch(parts.segment()), isa + " n=" + n + " -> " + out + ": first differing byte");
                        }
                    });
                }
            }
        }
    }

    /** Fused rotate + quantize with 32 MiB of codes and more streams them (as lb_quantize): equal, bit for bit, to the
     *  same rows quantized in calls small enough for ordinary stores. Byte codes through the per-row path (the range
     *  from the rotation's last pass) and through the grouped kernel. */
    @Test
    void streamedFusedCodesEqualOrdinaryStores() {
        int n = 4096, rows = (32 << 20) / n + 5, batch = 1024;
        HadamardOptions o = HadamardOptions.randomized(4);
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
            MemorySegment xs = x.segment();
            for (long i = 0; i < (long) rows * n; ++i) xs.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((i * 2654435761L % 2001) - 1000) * 1e-3f);
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.group(128)))) {
                Quantized whole = Hadamard.rotateQuantize(x, o, f, arena);
                for (int r0 = 0; r0 < rows; r0 += batch) {
                    int r1 = Math.min(rows, r0 + batch);
                    Quantized part = Hadamard.rotateQuantize(x.slice(0, r0, r1), o, f, arena);
                    assertEquals(-1, whole.q().slice(0, r0, r1).segment().mismatch(part.q().segment()), f + " rows " + r0 + ": first differing code byte");
                    assertEquals(-1, whole.scales().slice(0, r0, r1).segment().mismatch(part.scales().segment()), f + " rows " + r0 + ": scales");
                }
            }
        }
    }

    static List<QuantFormat> fusedFormats() {
        return List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.int4(Granularity.group(32)),
                QuantFormat.int4(Granularity.PER_ROW).withMseClip(), QuantFormat.uint4(Granularity.group(64)),
                QuantFormat.uint4(Granularity.group(128)).withZeroDtype(DType.F16).withMseClip(),
                QuantFormat.fp8E4M3(Granularity.PER_ROW), QuantFormat.fp8E5M2(Granularity.block(1, 128)),
                QuantFormat.int8(Granularity.group(128)).withPow2Scales(),
                // a width that is not a power of two: the CUDA fused kernel's block index then divides (BlockCols)
                QuantFormat.int8(Granularity.group(96)));
    }

    @ParameterizedTest
    @MethodSource("fusedFormats")
    void fusedRotateQuantizeEqualsRotateThenQuantize(QuantFormat f) {
        // 12 * 256; 4096 and 1024 (powers of two whose last pass records the row's range for a per-row
        // format), 108 * 4 (chunks narrower than a vector: the element-wise path records it); and short
        // rows (12 * 16, 128), which the CPU rotates 16 at a time and quantizes together, with a
        // remainder of rows after the last 16
        for (int[] shape : new int[][] {{3072, 6}, {4096, 3}, {1024, 4}, {432, 5}, {192, 21}, {128, 37}}) {
            long bc = f.granularity().blockCols();
            if (bc == Granularity.WHOLE || shape[0] % bc == 0) assertFusedEqualsSeparate(f, shape[0], shape[1]);
        }
    }

    /** Rows whose per-row range comes from the rotation's last pass still report NaN / Inf input, the first bad row. */
    @Test
    void fusedPerRowQuantizeReportsNonFiniteRowsOnEveryVariant() {
        for (int n : new int[] {4096, 3072, 432}) {
            float[] x = random(5, 6 * n);
            x[3 * n + 100] = Float.NaN;
            x[4 * n + 7] = Float.POSITIVE_INFINITY;
            for (Isa isa : Isas.available()) {
                Isas.with(isa, () -> {
                    try (Arena arena = Arena.ofConfined()) {
                        Tensor xt = Tensor.of(arena, x, 6, n);
                        var e = assertThrows(LowbitException.class,
                                () -> Hadamard.rotateQuantize(xt, HadamardOptions.randomized(3), QuantFormat.int8(Granularity.PER_ROW), arena));
                        assertEquals("lb_hadamard_quantize: x has NaN or Inf in block (3, 0) (rows 3..3, columns 0.." + (n - 1) + ")", e.getMessage(),
                                isa + " n=" + n);
                    }
                });
            }
        }
    }

    static void assertFusedEqualsSeparate(QuantFormat f, int n, int rows) {
        float[] x = random(17, rows * n);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (DType in : new DType[] {DType.F32, DType.BF16}) {
                    try (Arena arena = Arena.ofConfined()) {
                        Tensor xt = Tensor.allocate(arena, in, Device.CPU, rows, n);
                        Convert.convert(Tensor.of(arena, x, rows, n), xt);
                        HadamardOptions o = HadamardOptions.randomized(123);
                        Quantized fused = Hadamard.rotateQuantize(xt, o, f, arena);
                        Tensor rotated = Tensor.allocate(arena, DType.F32, Device.CPU, rows, n);
                        Hadamard.rotate(xt, rotated, o);
                        Quantized separate = Quantizer.quantize(rotated, f, arena);
                        String what = isa + " " + in + " " + f + " n=" + n;
                        assertArrayEquals(separate.q().toByteArray(), fused.q().toByteArray(), what + " codes");
                        assertArrayEquals(bytes(separate.scales()), bytes(fused.scales()), what + " scales");
                        if (f.zeroDtype() != null) assertArrayEquals(bytes(separate.zeros()), bytes(fused.zeros()), what + " zeros");
                    }
                }
            });
        }
    }

    static byte[] bytes(Tensor t) {
        return t.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void rotatedWeightsKeepTheProduct() {
        int out = 24, in = 384;
        float[] w = random(1, out * in), x = random(2, in);
        HadamardOptions o = HadamardOptions.randomized(77);
        try (Arena arena = Arena.ofConfined()) {
            Tensor wt = Tensor.of(arena, w, out, in);
            Hadamard.rotateWeights(wt, o);
            float[] wr = wt.toFloatArray();
            float[] xr = Hadamard.rotate(Tensor.of(arena, x, 1, in), o, arena).toFloatArray();
            for (int i = 0; i < out; ++i) {
                double plain = 0, rotated = 0, norm = 0;
                for (int j = 0; j < in; ++j) {
                    plain += (double) w[i * in + j] * x[j];
                    rotated += (double) wr[i * in + j] * xr[j];
                    norm += Math.abs((double) w[i * in + j] * x[j]);
                }
                assertEquals(plain, rotated, 1e-5 * norm, "output " + i);
            }
        }
    }
}
