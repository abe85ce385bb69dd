package dev.lowbit.quant;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Lowbit;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.reference.FloatFormats;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.reference.QuantReference;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Quantize/dequantize on every CPU variant against the plain-Java reference, bit for bit, plus properties. */
class QuantizerTest {
    static final int ROWS = 256, COLS = 384;

    static List<QuantFormat> formats() {
        return List.of(
                QuantFormat.int8(Granularity.PER_ROW),
                QuantFormat.int8(Granularity.PER_TENSOR),
                QuantFormat.int8(Granularity.PER_COLUMN),
                QuantFormat.int8(Granularity.group(64)).withPow2Scales(),
                QuantFormat.int4(Granularity.group(32)),
                QuantFormat.int4(Granularity.group(128)).withRestrictedRange(),
                QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32),
                QuantFormat.int4(Granularity.group(32)).withMseClip(),
                QuantFormat.uint4(Granularity.group(64)),
                QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withScaleDtype(DType.BF16),
                QuantFormat.uint4(Granularity.group(128)).withMseClip(),
                QuantFormat.fp8E4M3(Granularity.PER_TENSOR),
                QuantFormat.fp8E4M3(Granularity.block(1, 128)),
                QuantFormat.fp8E4M3(Granularity.block(128, 128)).withPow2Scales(),
                QuantFormat.fp8E5M2(Granularity.PER_ROW),
                QuantFormat.fp8E4M3(Granularity.group(32)).withMseClip().withScaleDtype(DType.F16),
                QuantFormat.int4(Granularity.block(16, 32)).withMseClip(),
                QuantFormat.uint4(Granularity.block(4, 64)));
    }

    static List<Object[]> cases() {
        List<Object[]> c = new ArrayList<>();
        for (Isa isa : Isas.available()) for (QuantFormat f : formats()) c.add(new Object[] {isa, f});
        return c;
    }

    /** Gaussian-ish data with a few large outliers, as in LLM activations. */
    static float[] data(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double g = rnd.nextDouble() + rnd.nextDouble() + rnd.nextDouble() - 1.5;
            x[i] = (float) (rnd.nextInt(100) == 0 ? g * 40 : g);
            if (i % 1000 == 3) x[i] = -0.0f;  // signed zeros must not change any bit of the result
        }
        return x;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesReferenceBitForBit(Isa isa, QuantFormat f) {
        Isas.with(isa, () -> {
            float[] x = data(ROWS * COLS, f.hashCode());
            try (Arena arena = Arena.ofConfined()) {
                Quantized q = assertMatchesReference(arena, x, ROWS, COLS, f);
                // F16/BF16 outputs are the f32 result rounded once.
                float[] expected = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
                short[] asBf16 = Quantizer.dequantize(q, DType.BF16, arena).toShortArray();
                for (int i = 0; i < expected.length; i += 97) assertEquals((short) FloatFormats.BF16.encode(expected[i]), asBf16[i]);
            }
        });
    }

    /** Quantizes x with f and checks codes, scales, zero points and dequantized values against the
     *  reference, bit for bit. */
    static Quantized assertMatchesReference(Arena arena, float[] x, int rows, int cols, QuantFormat f) {
        return assertMatchesReference(arena, Tensor.of(arena, x, rows, cols), x, rows, cols, f, f.toString());
    }

    /** As above for an input of any dtype whose values, widened to f32, are x; failures name `what`. */
    static Quantized assertMatchesReference(Arena arena, Tensor in, float[] x, int rows, int cols, QuantFormat f, String what) {
        Quantized q = Quantizer.quantize(in, f, arena);
        QuantReference.Result ref = QuantReference.quantize(x, rows, cols, f);
        assertArrayEquals(ref.codes(), codes(q), "codes of " + what);
        assertArrayEquals(bits(ref.scales(), f.scaleDtype()), scaleBits(q), "scales of " + what);
        if (f.zeroDtype() != null) assertArrayEquals(ref.zeros(), zeros(q), "zeros of " + what);
        assertArrayEquals(QuantReference.dequantize(ref, rows, cols, f), Quantizer.dequantize(q, DType.F32, arena).toFloatArray(),
                "dequantized " + what);
        return q;
    }

    /**
     * FP8 blocks of subnormal values: their F32 scale (absmax / 448) is a nonzero subnormal whose inverse
     * overflows to infinity, so a zero in the block becomes 0 * inf = NaN and encodes as NaN, as in the
     * reference; the vector kernels skip their NaN handling only for blocks with a finite inverse.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void fp8BlocksWhoseInverseScaleOverflowsMatchTheReference(Isa isa) {
        Isas.with(isa, () -> {
            int rows = 4, cols = 512;
            float[] x = data(rows * cols, 11);
            for (int c = 0; c < cols; c++) {
                x[c] = (c % 3) * 1e-40f * (c % 2 == 0 ? 1 : -1);  // row 0: tiny, a third of it zeros
                if (c % 64 < 32) x[2 * cols + c] = c % 5 == 0 ? 0.0f : 3e-40f;  // row 2: every other group of 32 tiny
            }
            for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.PER_ROW).withScaleDtype(DType.F32),
                    QuantFormat.fp8E5M2(Granularity.group(32)).withScaleDtype(DType.F32),
                    QuantFormat.fp8E4M3(Granularity.block(1, 128)).withScaleDtype(DType.F32),
                    // the clip search's candidates of such blocks err NaN (0 * inf), so none of them wins
                    QuantFormat.fp8E4M3(Granularity.group(64)).withScaleDtype(DType.F32).withMseClip())) {
                try (Arena arena = Arena.ofConfined()) {
                    Quantized q = assertMatchesReference(arena, x, rows, cols, f);
                    assertTrue(Float.isInfinite(1.0f / q.scales().toFloatArray()[0]), "row 0's inverse scale overflows for " + f);
                }
            }
        });
    }

    /**
     * E4M3 blocks whose scale is so large (over 2^118) that the vector encoders may not fold the 2^-8 of
     * their binary16 route into the inverse scale (inv * 2^-8 would be subnormal, hence inexact): values
     * placed where x * inv is an exact E4M3 tie and x * fl(inv * 2^-8) * 2^8 is not, so a kernel that folds
     * anyway codes them differently from the reference. Every quantize path: groups (the grouped kernel),
     * 1 x 128, per row (the pipelined one), 128 x 128.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void e4m3BlocksTooLargeToFoldTheirScaleMatchTheReference(Isa isa) {
        float amax = 3e38f;  // the first maximum above it whose inverse does not fold
        while ((1f / (amax / 448f)) * (1f / 256f) * 256f == 1f / (amax / 448f)) amax = Math.nextUp(amax);
        float inv = 1f / (amax / 448f), folded = inv * (1f / 256f);
        List<Float> tricky = new ArrayList<>();
        for (int c = 0x30; c < 0x7d && tricky.size() < 200; c++) {  // ties between neighbouring codes below 448
            float tie = (float) ((Fp8Reference.E4M3.decode(c) + Fp8Reference.E4M3.decode(c + 1)) / 2);
            float x = tie / inv;
            for (int d = 0; d < 64; d++, x = Math.nextDown(x))
                if (Fp8Reference.E4M3.encode(x * inv, true) != Fp8Reference.E4M3.encode(x * folded * 256f, true)) tricky.add(d % 2 == 0 ? x : -x);
        }
        assertTrue(tricky.size() >= 16, "found only " + tricky.size() + " values that tell folding apart");
        int rows = 128, cols = 384;
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = i % 128 == 0 ? amax : tricky.get(i % tricky.size());
        Isas.with(isa, () -> {
            for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.group(128)), QuantFormat.fp8E4M3(Granularity.block(1, 128)),
                    QuantFormat.fp8E4M3(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.block(128, 128)))) {
                try (Arena arena = Arena.ofConfined()) {
                    assertMatchesReference(arena, x, rows, cols, f.withScaleDtype(DType.F32));
                }
            }
        });
    }

    /**
     * The MSE clip search on every code type and block shape, on every ISA: the vector kernels score all
     * 21 candidates of a block in one pass, each lane summing its candidate's errors in element order, and
     * must choose what the reference's candidate-by-candidate loop chooses.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void mseClipChoosesAsTheReferenceForEveryCodeType(Isa isa) {
        Isas.with(isa, () -> {
            int rows = 64, cols = 384;
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.group(64)).withMseClip(),
                    QuantFormat.int8(Granularity.PER_ROW).withMseClip().withScaleDtype(DType.F32),
                    QuantFormat.int4(Granularity.group(128)).withRestrictedRange().withMseClip(),
                    QuantFormat.uint4(Granularity.group(64)).withZeroDtype(DType.F16).withMseClip(),
                    QuantFormat.uint4(Granularity.group(96)).withMseClip(),
                    QuantFormat.fp8E5M2(Granularity.group(128)).withMseClip(),
                    QuantFormat.fp8E4M3(Granularity.block(4, 64)).withMseClip().withScaleDtype(DType.BF16),
                    QuantFormat.int4(Granularity.PER_TENSOR).withMseClip().withScaleDtype(DType.F32))) {
                try (Arena arena = Arena.ofConfined()) {
                    assertMatchesReference(arena, data(rows * cols, f.hashCode() + 7), rows, cols, f);
                }
            }
        });
    }

    /** Widths that are not multiples of any vector length: every tail path. */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void oddWidthsMatchTheReference(Isa isa) {
        Isas.with(isa, () -> {
            for (int cols : new int[] {2, 10, 34, 98, 130}) {
                for (QuantFormat f : List.of(QuantFormat.int4(Granularity.PER_ROW), QuantFormat.uint4(Granularity.group(cols / 2)),
                        QuantFormat.int8(Granularity.PER_COLUMN), QuantFormat.fp8E5M2(Granularity.PER_TENSOR))) {
                    float[] x = data(7 * cols, cols);
                    try (Arena arena = Arena.ofConfined()) {
                        Quantized q = Quantizer.quantize(Tensor.of(arena, x, 7, cols), f, arena);
                        QuantReference.Result ref = QuantReference.quantize(x, 7, cols, f);
                        assertArrayEquals(ref.codes(), codes(q), f + " cols " + cols);
                        assertArrayEquals(QuantReference.dequantize(ref, 7, cols, f), Quantizer.dequantize(q, DType.F32, arena).toFloatArray(),
                                f + " cols " + cols);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void sixteenBitInputsQuantizeTheirExactValues(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                float[] x = data(64 * 128, 5);
                for (DType t : new DType[] {DType.F16, DType.BF16}) {
                    SixteenBit in = SixteenBit.of(arena, x, 64, 128, t);
                    QuantFormat f = QuantFormat.int4(Granularity.group(32));
                    Quantized q = Quantizer.quantize(in.tensor(), f, arena);
                    assertArrayEquals(QuantReference.quantize(in.values(), 64, 128, f).codes(), codes(q), t.toString());
                }
            }
        });
    }

    /**
     * Integer blocks whose codes need the clamp: tiny blocks whose F16 scale is subnormal, so rounding it moves
     * v / scale past the code range (5.84e-7 / 7 rounds to 5.96e-8 in F16: codes up to 9.8 before the clamp),
     * beside ordinary blocks that the AVX-512 grouped kernel codes without it (its clamp_free16 test), and U4
     * blocks whose zero point rounds up by half (the top end then a tie at 15.5, which rounds to 16 unclamped); groups
     * (the AVX-512 grouped kernel, AVX2's spans) and whole rows (the pipelined per-row path, which skips the clamp
     * by codes_clamp_free). Every integer format, from F32 and BF16 rows, every ISA; the reference rounds, then clamps.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void integerBlocksThatNeedTheClampMatchTheReference(Isa isa) {
        int rows = 6, cols = 1152;  // 9 x 128, 12 x 96
        float[] x = data(rows * cols, 21);
        for (int r = 0; r < rows; r++)
            for (int b = 0; b < cols / 128; b++) {
                int at = r * cols + b * 128;
                // Tiny blocks: amax / 7 (int4) or amax / 127 (int8) is 1.4 ulps of F16's subnormals, which rounds to one.
                float amax = r % 2 == 0 ? 5.84e-7f : 1.06e-5f, blockMax = maxAbs(x, at, at + 128);
                for (int c = 0; c < 128; c++) {
                    // rows 4 and 5 tiny throughout, so that per-row blocks need the clamp too
                    if ((b + r) % 3 == 0 || r >= 4) x[at + c] = x[at + c] / blockMax * amax;
                    // U4: scale 0.5, zero point rint(3.5) = 4, so 5.75 is coded from 15.5 (row 1: every block, and the row)
                    if (((b + r) % 3 == 1 && r % 2 == 0 && r < 4) || r == 1)
                        x[at + c] = c == 0 ? -1.75f : (c == 1 ? 5.75f : 0.25f * (c % 7) - 1f);
                }
            }
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                for (DType t : new DType[] {DType.F32, DType.BF16}) {
                    SixteenBit in = t == DType.F32 ? new SixteenBit(Tensor.of(arena, x, rows, cols), x)
                                                   : SixteenBit.of(arena, x, rows, cols, t);
                    for (QuantFormat f : List.of(QuantFormat.int4(Granularity.group(128)).withScaleDtype(DType.F16),
                            QuantFormat.uint4(Granularity.group(128)).withScaleDtype(DType.F16),
                            QuantFormat.uint4(Granularity.group(128)).withScaleDtype(DType.F32),
                            QuantFormat.uint4(Granularity.group(64)).withScaleDtype(DType.F16).withZeroDtype(DType.F16),
                            QuantFormat.int8(Granularity.group(128)).withScaleDtype(DType.F16),
                            QuantFormat.int4(Granularity.group(96)).withScaleDtype(DType.F16),
                            QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F16),
                            QuantFormat.uint4(Granularity.PER_ROW).withScaleDtype(DType.F16),
                            QuantFormat.uint4(Granularity.PER_ROW).withScaleDtype(DType.F32),
                            QuantFormat.int8(Granularity.PER_ROW).withScaleDtype(DType.F16)))
                        assertMatchesReference(arena, in.tensor(), in.values(), rows, cols, f, f + " from " + t);
                }
            }
        });
        // The tiny blocks do reach past the range before the clamp (else this test could not fail).
        float scale = Float.float16ToFloat(Float.floatToFloat16(maxAbs(x, 0, 128) / 7f));
        assertTrue(maxAbs(x, 0, 128) / scale > 7.5f, "block 0's values stay inside the code range: " + maxAbs(x, 0, 128) / scale);
    }

    private static float maxAbs(float[] x, int from, int to) {
        float m = 0;
        for (int i = from; i < to; i++) m = Math.max(m, Math.abs(x[i]));
        return m;
    }

    /** x (rows x cols) rounded to t (F16 or BF16), and the rounded values widened back to f32. */
    record SixteenBit(Tensor tensor, float[] values) {
        static SixteenBit of(Arena arena, float[] x, int rows, int cols, DType t) {
            Tensor in = Tensor.allocate(arena, t, Device.CPU, rows, cols);
            Convert.convert(Tensor.of(arena, x, rows, cols), in);
            Tensor widened = Tensor.allocate(arena, DType.F32, Device.CPU, rows, cols);
            Convert.convert(in, widened);
            return new SixteenBit(in, widened.toFloatArray());
        }
    }

    /**
     * F16 / BF16 rows on every path that reads them without an f32 copy of the row: the grouped kernel and
     * the spans (a group of blocks widened at a time), the pipelined per-row path (wide blocks, widened a
     * step at a time in both passes; with the clip search, which widens the row for itself), blocks of
     * other widths (the whole row widened), and 128 x 128 grid rows whole and in panels — each the
     * reference's bits on the widened values, and NaN / Inf named with their block.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void sixteenBitRowsMatchTheReferenceOnEveryPath(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                for (DType t : new DType[] {DType.F16, DType.BF16}) {
                    int rows = 9, cols = 640;
                    SixteenBit in = SixteenBit.of(arena, data(rows * cols, 5 + t.ordinal()), rows, cols, t);
                    for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.PER_ROW),
                            QuantFormat.fp8E5M2(Granularity.PER_ROW).withScaleDtype(DType.F32), QuantFormat.int4(Granularity.PER_ROW),
                            QuantFormat.uint4(Granularity.PER_ROW), QuantFormat.int4(Granularity.PER_ROW).withMseClip(),
                            QuantFormat.int8(Granularity.group(128)), QuantFormat.fp8E4M3(Granularity.block(1, 128)),
                            QuantFormat.uint4(Granularity.group(64)), QuantFormat.int4(Granularity.group(32)), QuantFormat.int4(Granularity.group(32)).withMseClip(),
                            QuantFormat.int8(Granularity.group(320)), QuantFormat.fp8E5M2(Granularity.group(16)),
                            QuantFormat.int8(Granularity.group(80))))  // 16 and 80: a half vector of 16-bit values left over
                        assertMatchesReference(arena, in.tensor(), in.values(), rows, cols, f, f + " from " + t);
                    // 128 x 128 grid rows: whole (4352 columns: 1.1 MiB of 16-bit values), and in panels past 4 MiB
                    // (16896 columns, 4.1 MiB; one thread, so that two grid rows take the grid-row path).
                    int previous = Lowbit.threads();
                    try {
                        for (int gridCols : new int[] {34 * 128, 132 * 128}) {
                            int gridRows = gridCols > 16384 ? 2 * 128 : 4 * 128;
                            if (gridCols > 16384) Lowbit.setThreads(1);
                            SixteenBit grid = SixteenBit.of(arena, data(gridRows * gridCols, gridCols + t.ordinal()), gridRows, gridCols, t);
                            for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.block(128, 128)).withScaleDtype(DType.F32),
                                    QuantFormat.uint4(Granularity.block(128, 128))))
                                assertMatchesReference(arena, grid.tensor(), grid.values(), gridRows, gridCols, f, f + " from " + t + ", " + gridCols + " columns");
                        }
                    } finally {
                        Lowbit.setThreads(previous);
                    }
                    float[] bad = data(rows * cols, 6);
                    bad[4 * cols + 17] = Float.POSITIVE_INFINITY;
                    bad[6 * cols + 600] = Float.NaN;
                    Tensor badIn = SixteenBit.of(arena, bad, rows, cols, t).tensor();
                    assertEquals("lb_quantize: x has NaN or Inf in block (4, 0) (rows 4..4, columns 0..639)",
                            assertThrows(LowbitException.class, () -> Quantizer.quantize(badIn, QuantFormat.fp8E4M3(Granularity.PER_ROW), arena))
                                    .getMessage(), t.toString());
                    assertEquals("lb_quantize: x has NaN or Inf in block (4, 0) (rows 4..4, columns 0..127)",
                            assertThrows(LowbitException.class, () -> Quantizer.quantize(badIn, QuantFormat.int8(Granularity.group(128)), arena))
                                    .getMessage(), t.toString());
                }
            }
        });
    }

    /**
     * Dequantize to F16 / BF16 goes through a small f32 stage, a few blocks at a time (whole rows' worth of
     * calls, blocks wider than the stage in pieces): every element is still the F32 result rounded once, on
     * every ISA, for grouped rows with packed zero points, per-row blocks wider than the stage, and blocks
     * spanning rows.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void sixteenBitOutputsAreTheF32ResultRoundedOnce(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                int rows = 256, cols = 2560;
                float[] x = data(rows * cols, 11);
                for (QuantFormat f : List.of(QuantFormat.uint4(Granularity.group(128)), QuantFormat.int4(Granularity.group(32)),
                        QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.block(128, 128)),
                        QuantFormat.uint4(Granularity.block(2, 64)).withZeroDtype(DType.F16))) {
                    assertSixteenBitOutputsRoundTheF32Ones(Quantizer.quantize(Tensor.of(arena, x, rows, cols), f, arena), arena);
                }
            }
        });
    }

    /**
     * Dequantize of any codes under any scales (a Quantized built by hand, as from a model file): every code
     * of every format, E4M3's NaN codes included, under ordinary scales and ones at the edges of the AVX-512
     * fp8 route (which folds E4M3's 2^-8 into the scale unless the scale is 2^119 or more in magnitude),
     * the largest finite, infinite, NaN, subnormal and signed-zero scales; on each kernel path: grouped
     * blocks (whole 32-value steps, a 16-value rest), per-row blocks (steps, a rest of 16, a masked tail),
     * odd widths (unpacked nibbles), blocks spanning rows. F32 is the reference's; F16 and BF16 are the F32
     * values rounded once.
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void anyCodesUnderExtremeScalesDequantizeAsTheReference(Isa isa) {
        float[] kinds = {1f, -0.37f, 0x1p119f, 0x1.fffffep119f, 3e38f, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                Float.NaN, 1e-40f, 0f, -0f};
        List<QuantFormat> formats = new ArrayList<>();
        for (Granularity g : List.of(Granularity.group(128), Granularity.PER_ROW, Granularity.group(25), Granularity.block(2, 64))) {
            formats.add(QuantFormat.int8(g));
            formats.add(QuantFormat.int4(g));
            formats.add(QuantFormat.uint4(g));
            formats.add(QuantFormat.uint4(g).withZeroDtype(DType.F16));
            formats.add(QuantFormat.fp8E4M3(g));
            formats.add(QuantFormat.fp8E5M2(g));
        }
        formats.add(QuantFormat.int8(Granularity.group(48)));
        formats.add(QuantFormat.fp8E4M3(Granularity.group(48)));
        int rows = 12;
        SplittableRandom rnd = new SplittableRandom(5);
        Isas.with(isa, () -> {
            for (QuantFormat f0 : formats) {
                QuantFormat f = f0.withScaleDtype(DType.F32);
                int bc = (int) f.granularity().resolve(rows, 19200)[1];  // a multiple of every group width here
                int cols = bc == 19200 ? 1400 : bc * (bc == 25 ? 40 : 10);  // per row: 43 steps of 32, a rest of 16, a tail of 8
                try (Arena arena = Arena.ofConfined()) {
                    Quantized q = Quantizer.allocate(f, rows, cols, Device.CPU, arena);
                    byte[] codes = new byte[(int) q.q().segment().byteSize()];
                    for (int i = 0; i < codes.length; i++) codes[i] = (byte) (i % 256 == 0 ? rnd.nextInt(256) : i * 7 + rnd.nextInt(2));
                    q.q().segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(codes));
                    float[] scales = new float[(int) q.scales().numel()];
                    for (int b = 0; b < scales.length; b++) scales[b] = kinds[(b * 5 + b / kinds.length) % kinds.length];
                    q.scales().segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(scales));
                    if (q.zeros() != null && f.zeroDtype() == DType.U4) {
                        byte[] z = new byte[(int) q.zeros().segment().byteSize()];
                        rnd.nextBytes(z);
                        q.zeros().segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(z));
                    } else if (q.zeros() != null) {
                        short[] z = new short[(int) q.zeros().numel()];
                        for (int i = 0; i < z.length; i++) z[i] = (short) FloatFormats.F16.encode(rnd.nextInt(16) - 0.25f);
                        q.zeros().segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(z));
                    }
                    long[] block = f.granularity().resolve(rows, cols);
                    QuantReference.Result ref = new QuantReference.Result(codes(q), q.scales().toFloatArray(),
                            q.zeros() == null ? new float[scales.length] : zeros(q), block[0], block[1]);
                    float[] y = assertSixteenBitOutputsRoundTheF32Ones(q, arena);
                    assertArrayEquals(QuantReference.dequantize(ref, rows, cols, f), y, "dequantized " + f);
                }
            }
        });
    }

    /** Dequantizes q to F32, BF16 and F16, checks that every 16-bit element is the F32 one rounded once, and
     *  returns the F32 values. A NaN only has to stay NaN: which operand's NaN a product of a NaN code and a NaN
     *  scale keeps (its sign) depends on the operand order the compiler picked for each output's multiply. */
    static float[] assertSixteenBitOutputsRoundTheF32Ones(Quantized q, Arena arena) {
        float[] y = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
        short[] bf16 = Quantizer.dequantize(q, DType.BF16, arena).toShortArray();
        short[] f16 = Quantizer.dequantize(q, DType.F16, arena).toShortArray();
        for (int i = 0; i < y.length; i++) {
            if (Float.isNaN(y[i])) {
                if (!Float.isNaN(FloatFormats.BF16.decode(bf16[i] & 0xffff)) || !Float.isNaN(Float.float16ToFloat(f16[i])))
                    throw new AssertionError(q.format() + ": element " + i + " of NaN narrowed to bf16 " + bf16[i] + ", f16 " + f16[i]);
                continue;
            }
            if ((short) FloatFormats.BF16.encode(y[i]) != bf16[i] || (short) FloatFormats.F16.encode(y[i]) != f16[i])
                throw new AssertionError(q.format() + ": element " + i + " of " + y[i] + " narrowed to bf16 " + bf16[i] + ", f16 " + f16[i]);
        }
        return y;
    }

    @Test
    void integerRoundTripIsWithinHalfAStep() {
        for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.int4(Granularity.group(32)).withScaleDtype(DType.F32),
                QuantFormat.uint4(Granularity.group(64)).withScaleDtype(DType.F32))) {
            float[] x = data(ROWS * COLS, 77);
            try (Arena arena = Arena.ofConfined()) {
                Quantized q = Quantizer.quantize(Tensor.of(arena, x, ROWS, COLS), f, arena);
                float[] y = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
                float[] s = q.scales().toFloatArray();
                long bc = f.granularity().resolve(ROWS, COLS)[1];
                for (int i = 0; i < x.length; i++) {
                    float scale = s[(int) ((i / COLS) * (COLS / bc) + (i % COLS) / bc)];
                    assertTrue(Math.abs(x[i] - y[i]) <= scale * 0.5001f, f + " element " + i + ": " + x[i] + " -> " + y[i]);
                }
            }
        }
    }

    @Test
    void fp8RoundTripKeepsRelativeError() {
        float[] x = data(ROWS * COLS, 78);
        try (Arena arena = Arena.ofConfined()) {
            Quantized q = Quantizer.quantize(Tensor.of(arena, x, ROWS, COLS), QuantFormat.fp8E4M3(Granularity.PER_ROW), arena);
            float[] y = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
            float[] s = q.scales().toFloatArray();
            for (int i = 0; i < x.length; i++) {
                float bound = Math.max(Math.abs(x[i]) / 16, s[i / COLS] * 0x1p-10f) * 1.0001f;  // half an ulp: 2^-4 rel, or subnormal step
                assertTrue(Math.abs(x[i] - y[i]) <= bound, "element " + i + ": " + x[i] + " -> " + y[i]);
            }
        }
    }

    @Test
    void mseClipNeverIncreasesTheError() {
        float[] x = data(ROWS * COLS, 79);
        for (QuantFormat f : List.of(QuantFormat.int4(Granularity.group(32)), QuantFormat.uint4(Granularity.group(128)))) {
            try (Arena arena = Arena.ofConfined()) {
                Tensor t = Tensor.of(arena, x, ROWS, COLS);
                double plain = sse(x, Quantizer.dequantize(Quantizer.quantize(t, f, arena), DType.F32, arena).toFloatArray());
                double clipped = sse(x, Quantizer.dequantize(Quantizer.quantize(t, f.withMseClip(), arena), DType.F32, arena).toFloatArray());
                assertTrue(clipped <= plain, f + ": " + clipped + " > " + plain);
                assertTrue(clipped < plain, f + ": MSE clipping should help on outlier-heavy data: " + clipped + " vs " + plain);
            }
        }
    }

    @Test
    void zeroBlocksAndASingleOutlier() {
        float[] x = new float[4 * 64];
        x[64 + 5] = 1000f;  // row 1: one outlier, row 0: all zero
        try (Arena arena = Arena.ofConfined()) {
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.uint4(Granularity.group(32)),
                    QuantFormat.fp8E4M3(Granularity.PER_ROW))) {
                Quantized q = Quantizer.quantize(Tensor.of(arena, x, 4, 64), f, arena);
                float[] y = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
                for (int i = 0; i < 64; i++) assertEquals(0f, y[i], f + ": zero row must stay zero");
                assertEquals(1000f, y[64 + 5], 1000f / 127 / 2 + 1e-3f, f + ": the outlier survives");
                assertEquals(0f, q.scales().dtype() == DType.F32 ? q.scales().toFloatArray()[0] : 0f);
            }
        }
    }

    /**
     * Matrices large enough that blocks spanning rows are handled in several strips (about 4 MiB of
     * input each) and per-row blocks in several prefetched pieces: still the reference's bits, and a
     * bad value in a later strip is reported with its block.
     */
    @Test
    void largeMatricesMatchTheReferenceAcrossStrips() {
        int rows = 384, cols = 4096;  // 128 x 128 blocks: a block row is 2 MiB, so two per strip and two strips
        float[] x = data(rows * cols, 77);
        for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.block(128, 128)), QuantFormat.int8(Granularity.block(2, 4096)),
                QuantFormat.int8(Granularity.PER_ROW), QuantFormat.int4(Granularity.PER_ROW), QuantFormat.uint4(Granularity.group(128)))) {
            try (Arena arena = Arena.ofConfined()) {
                Quantized q = Quantizer.quantize(Tensor.of(arena, x, rows, cols), f, arena);
                QuantReference.Result ref = QuantReference.quantize(x, rows, cols, f);
                assertArrayEquals(ref.codes(), codes(q), "codes of " + f);
                assertArrayEquals(bits(ref.scales(), f.scaleDtype()), scaleBits(q), "scales of " + f);
            }
        }
        float[] bad = x.clone();
        bad[300 * cols + 5] = Float.NaN;
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(LowbitException.class,
                    () -> Quantizer.quantize(Tensor.of(arena, bad, rows, cols), QuantFormat.fp8E4M3(Granularity.block(128, 128)), arena));
            assertEquals("lb_quantize: x has NaN or Inf in block (2, 0) (rows 256..383, columns 0..127)", e.getMessage());
        }
    }

    /**
     * Outputs large enough to be written with non-temporal stores (native simd/streaming.h: 32 MiB): the
     * codes of 32 MiB and more of every quantize path (blocks spanning rows; one block a row, bytes and packed
     * nibbles; the grouped kernel's byte codes and its packed nibbles, whole lines of 128 values), and every dequantization of
     * 32 MiB or more (F32 and BF16 outputs; the table path, the grouped path, packed nibbles) — still the
     * reference's bits, and BF16 still the F32 result rounded once.
     */
    @Test
    void streamedOutputsMatchTheReference() {
        int cols = 16384;
        for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.block(128, 128)), QuantFormat.int8(Granularity.block(128, 128)),
                QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.group(128)), QuantFormat.uint4(Granularity.group(128)),
                QuantFormat.int4(Granularity.PER_ROW))) {
            boolean packed = f.qtype() == DType.U4 || f.qtype() == DType.I4;
            int rows = packed ? 4096 : 2048;  // 32 MiB of codes
            float[] x = data(rows * cols, 91 + rows);
            try (Arena arena = Arena.ofConfined()) {
                assertMatchesReference(arena, x, rows, cols, f);
                if (f.granularity().blockRows() == 1) {  // BF16 output: 32 MiB at 1024 rows
                    Quantized q = Quantizer.quantize(Tensor.of(arena, java.util.Arrays.copyOf(x, 1024 * cols), 1024, cols), f, arena);
                    float[] expected = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
                    short[] asBf16 = Quantizer.dequantize(q, DType.BF16, arena).toShortArray();
                    for (int i = 0; i < expected.length; i += 61) assertEquals((short) FloatFormats.BF16.encode(expected[i]), asBf16[i], "bf16 " + f + " " + i);
                }
            }
        }
    }

    /** Rows of many small blocks (the AVX-512 kernel takes them 16 at a time): whole sets of 16,
     *  a partial last set, an odd number of U4 zero points per row. */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void manySmallBlocksPerRowMatchTheReference(Isa isa) {
        int rows = 5, cols = 2368;  // 74 groups of 32, 37 of 64, 148 of 16
        Isas.with(isa, () -> {
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.group(32)), QuantFormat.int4(Granularity.group(64)).withRestrictedRange(),
                    QuantFormat.uint4(Granularity.group(64)), QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withScaleDtype(DType.BF16),
                    QuantFormat.fp8E4M3(Granularity.group(64)), QuantFormat.fp8E5M2(Granularity.group(16)).withScaleDtype(DType.F16))) {
                try (Arena arena = Arena.ofConfined()) {
                    assertMatchesReference(arena, data(rows * cols, f.hashCode()), rows, cols, f);
                }
            }
        });
    }

    /** The first bad block is named even when later blocks of the same 16 (or later sets) are bad too,
     *  on every ISA (AVX-512's grouped kernel, AVX2's spans of 16 ranged 8 at a time, scalar's spans). */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void theFirstOfSeveralBadBlocksIsReported(Isa isa) {
        Isas.with(isa, QuantizerTest::firstOfSeveralBadBlocks);
    }

    static void firstOfSeveralBadBlocks() {
        int rows = 3, cols = 40 * 32;
        try (Arena arena = Arena.ofConfined()) {
            float[] x = data(rows * cols, 5);
            x[cols + 35 * 32] = Float.NaN;
            x[cols + 21 * 32 + 3] = Float.POSITIVE_INFINITY;
            x[2 * cols + 2 * 32] = Float.NaN;
            var e = assertThrows(LowbitException.class,
                    () -> Quantizer.quantize(Tensor.of(arena, x, rows, cols), QuantFormat.int4(Granularity.group(32)), arena));
            assertEquals("lb_quantize: x has NaN or Inf in block (1, 21) (rows 1..1, columns 672..703)", e.getMessage());
            float[] big = data(rows * cols, 6);
            big[2 * cols + 39 * 32 + 1] = 3e38f;
            big[2 * cols + 37 * 32 + 7] = -3e38f;
            var s = assertThrows(LowbitException.class,
                    () -> Quantizer.quantize(Tensor.of(arena, big, rows, cols), QuantFormat.int4(Granularity.group(32)), arena));
            assertEquals("lb_quantize: the scale of block (2, 37) overflows F16; use F32 scales", s.getMessage());
            // Per row: two bad rows, the first one named.
            for (QuantFormat f : List.of(QuantFormat.int8(Granularity.PER_ROW), QuantFormat.fp8E4M3(Granularity.PER_ROW),
                    QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32))) {
                float[] y = data(rows * cols, 7);
                y[2 * cols + 9] = Float.NaN;
                y[cols + cols - 1] = Float.NEGATIVE_INFINITY;  // row 1 (reported first), its last element
                var r = assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, y, rows, cols), f, arena));
                assertEquals("lb_quantize: x has NaN or Inf in block (1, 0) (rows 1..1, columns 0..1279)", r.getMessage(), f.toString());
            }
            // Blocks spanning rows (their range pass takes 16 block columns per call): block columns 21 and 35 of block row 1
            // (rows 128..255), the first named.
            int brows = 256, bcols = 40 * 128;
            float[] z = data(brows * bcols, 8);
            z[200 * bcols + 35 * 128 + 5] = Float.NaN;
            z[130 * bcols + 21 * 128 + 127] = Float.POSITIVE_INFINITY;
            var b = assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, z, brows, bcols),
                    QuantFormat.fp8E4M3(Granularity.block(128, 128)).withScaleDtype(DType.F32), arena));
            assertEquals("lb_quantize: x has NaN or Inf in block (1, 21) (rows 128..255, columns 2688..2815)", b.getMessage());
        }
    }

    /**
     * Grid rows over 2 MiB, which the AVX-512 path quantizes in panels of block columns (each coded while
     * the next panel is ranged): panels of 2 (34 block columns) and of 1 (17), packed U4 zero points
     * shared by a panel's blocks, the MSE clip search — the reference's bits on 1 to 3 threads; and the
     * report still names the first NaN / Inf block, in a later panel than an overflowing scale. On every ISA
     * (AVX2 has the pipelined kernel too; scalar takes the four steps).
     */
    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void gridRowsInPanelsMatchTheReferenceAndReportTheFirstFailure(Isa isa) {
        Isas.with(isa, QuantizerTest::gridRowsInPanels);
    }

    static void gridRowsInPanels() {
        int rows = 4 * 128, cols = 34 * 128;  // a grid row of 128 x 128 blocks is 2.1 MiB
        int previous = Lowbit.threads();
        try (Arena arena = Arena.ofConfined()) {
            for (int threads : new int[] {1, 2, 3}) {
                Lowbit.setThreads(threads);
                for (QuantFormat f : List.of(QuantFormat.fp8E4M3(Granularity.block(128, 128)).withScaleDtype(DType.F32),
                        QuantFormat.uint4(Granularity.block(128, 128)), QuantFormat.int4(Granularity.block(128, 256)).withMseClip()))
                    assertMatchesReference(arena, data(rows * cols, 41 + threads), rows, cols, f);
                float[] x = data(rows * cols, 42);
                x[(3 * 128 + 5) * cols + 128 + 9] = Float.NaN;         // block (3, 1)
                x[(2 * 128 + 127) * cols + 30 * 128 + 127] = Float.NaN; // block (2, 30): named
                x[(128 + 64) * cols + 5 * 128] = 3e38f;                // block (1, 5): its F16 scale overflows
                assertEquals("lb_quantize: x has NaN or Inf in block (2, 30) (rows 256..383, columns 3840..3967)",
                        assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, x, rows, cols),
                                QuantFormat.fp8E4M3(Granularity.block(128, 128)), arena)).getMessage(), threads + " threads");
            }
        } finally {
            Lowbit.setThreads(previous);
        }
    }

    /**
     * Many grid rows of blocks spanning rows (each thread then takes whole grid rows through all the
     * steps, in no set order): the reference's bits, and the report still names the first NaN / Inf
     * block wherever it lies, else the first overflowing scale — as the CUDA backend does.
     */
    @Test
    void gridRowsTakenBySeveralThreadsReportTheFirstFailure() {
        int rows = 2 * 64, cols = 4 * 128;  // 64 grid rows of 2 x 128 blocks, 4 per grid row
        QuantFormat f = QuantFormat.int8(Granularity.block(2, 128)).withScaleDtype(DType.F16);
        int previous = Lowbit.threads();
        try (Arena arena = Arena.ofConfined()) {
            for (int threads : new int[] {1, 2, 3, 8}) {
                Lowbit.setThreads(threads);
                assertMatchesReference(arena, data(rows * cols, 31 + threads), rows, cols, f);
                float[] x = data(rows * cols, 32);
                x[(2 * 50 + 1) * cols + 3 * 128] = Float.NaN;     // grid row 50
                x[(2 * 9) * cols + 2 * 128 + 7] = Float.NaN;      // grid row 9: named
                x[(2 * 5) * cols + 300] = 3e38f;                 // an earlier scale overflow: input comes first
                assertEquals("lb_quantize: x has NaN or Inf in block (9, 2) (rows 18..19, columns 256..383)",
                        assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, x, rows, cols), f, arena)).getMessage(),
                        threads + " threads");
                float[] y = data(rows * cols, 33);
                y[(2 * 40) * cols + 10] = -3e38f;                // grid row 40
                y[(2 * 7 + 1) * cols + 3 * 128 + 1] = 3e38f;     // grid row 7: named
                assertEquals("lb_quantize: the scale of block (7, 3) overflows F16; use F32 scales",
                        assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, y, rows, cols), f, arena)).getMessage(),
                        threads + " threads");
            }
        } finally {
            Lowbit.setThreads(previous);
        }
    }

    @ParameterizedTest
    @MethodSource("dev.lowbit.support.Isas#available")
    void nanAndInfAreReportedWithTheirBlock(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                // Rows of 17 groups: the kernels take 16 at a time, so blocks 0 and 16 open a set.
                int cols = 17 * 32;
                // Each range path: lo / hi (I4, U4) and the largest magnitude alone (I8, fp8, I4 in
                // -7..7: AVX-512 finds it from the values' bits, where Inf and NaN sort above the rest).
                Granularity g = Granularity.group(32);
                for (QuantFormat format : List.of(QuantFormat.int4(g), QuantFormat.uint4(g), QuantFormat.int8(g), QuantFormat.fp8E4M3(g),
                        QuantFormat.fp8E5M2(g), QuantFormat.int4(g).withRestrictedRange()))
                    for (float bad : new float[] {Float.NaN, Float.intBitsToFloat(0xffc00000), Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY})
                        for (int block : new int[] {1, 0, 16}) {
                            float[] x = new float[8 * cols];
                            x[3 * cols + block * 32 + 8] = bad;
                            var e = assertThrows(LowbitException.class, () -> Quantizer.quantize(Tensor.of(arena, x, 8, cols), format, arena));
                            assertEquals(LowbitException.Status.INVALID_ARGUMENT, e.status());
                            assertEquals("lb_quantize: x has NaN or Inf in block (3, " + block + ") (rows 3..3, columns " + block * 32 + ".."
                                    + (block * 32 + 31) + ")", e.getMessage(), format + " " + bad);
                        }
            }
        });
    }

    @Test
    void scaleOverflowingF16IsReported() {
        try (Arena arena = Arena.ofConfined()) {
            float[] x = new float[2 * 32];
            x[40] = 3e38f;
            var e = assertThrows(LowbitException.class,
                    () -> Quantizer.quantize(Tensor.of(arena, x, 2, 32), QuantFormat.int4(Granularity.PER_ROW), arena));
            assertEquals("lb_quantize: the scale of block (1, 0) overflows F16; use F32 scales", e.getMessage());
        }
    }

    @Test
    void badArgumentsAreRejectedInJava() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 96);
            var e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(x, QuantFormat.int4(Granularity.group(64)), arena));
            assertEquals("cols 96 is not a multiple of the block/group width 64 (group-64)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 4, 33), QuantFormat.int4(Granularity.PER_ROW), arena));
            assertEquals("I4 packs two values per byte along a row, so cols must be even, got 33", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizer.quantize(Tensor.allocate(arena, DType.I8, Device.CPU, 4, 32), QuantFormat.int8(Granularity.PER_ROW), arena));
            assertEquals("x has dtype I8, expected one of [F32, F16, BF16]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 6, 32), QuantFormat.int8(Granularity.block(4, 32)), arena));
            assertEquals("rows 6 is not a multiple of the block height 4 (block-4x32)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> QuantFormat.int8(Granularity.PER_ROW).withRestrictedRange());
            assertEquals("restrictRange applies to I4 only, not I8", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new QuantFormat(DType.U4, Granularity.PER_ROW, DType.F16, null, false, false, false));
            assertEquals("U4 needs zeroDtype U4 or F16, got null", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> QuantFormat.int8(Granularity.PER_ROW).withScaleDtype(DType.I32));
            assertEquals("scaleDtype must be F32, F16 or BF16, got I32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Granularity.group(0));
            assertEquals("blockCols must be > 0 or WHOLE, got 0", e.getMessage());

            // Into existing tensors: every shape and dtype is checked.
            Quantized good = Quantizer.quantize(x, QuantFormat.int8(Granularity.PER_ROW), arena);
            Quantized wrongScales = new Quantized(good.format(), good.q(), Tensor.allocate(arena, DType.F32, Device.CPU, 2, 1), null);
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(x, wrongScales, null));
            assertEquals("scales has shape [2, 1], expected [4, 1]", e.getMessage());
            Quantized wrongQ = new Quantized(good.format(), Tensor.allocate(arena, DType.U8, Device.CPU, 4, 96), good.scales(), null);
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(x, wrongQ, null));
            assertEquals("q has dtype U8, expected I8", e.getMessage());
            Quantized u4 = Quantizer.quantize(x, QuantFormat.uint4(Granularity.group(32)), arena);
            Quantized noZeros = new Quantized(u4.format(), u4.q(), u4.scales(), null);
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.dequantize(noZeros, DType.F32, arena));
            assertEquals("zeros is null but U4 needs zero points", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.dequantize(good, Tensor.allocate(arena, DType.I8, Device.CPU, 4, 96)));
            assertEquals("y has dtype I8, expected one of [F32, F16, BF16]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.dequantize(good, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 64)));
            assertEquals("q has shape [4, 96], expected [4, 64]", e.getMessage());
            Tensor readOnly = Tensor.wrap(arena.allocate(4 * 96 * 4).asReadOnly(), DType.F32, 4, 96);
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.dequantize(good, readOnly));
            assertEquals("y is read-only but is written to", e.getMessage());
            Tensor readOnlyQ = Tensor.wrap(arena.allocate(4 * 96).asReadOnly(), DType.I8, 4, 96);
            e = assertThrows(IllegalArgumentException.class, () -> Quantizer.quantize(x, new Quantized(good.format(), readOnlyQ, good.scales(), null), null));
            assertEquals("q is read-only but is written to", e.getMessage());
        }
        Tensor closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32);
        }
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalStateException.class, () -> Quantizer.quantize(closed, QuantFormat.int8(Granularity.PER_ROW), arena));
            assertTrue(e.getMessage().startsWith("x is closed"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ helpers

    /** One code per element, unpacking 4-bit types (low nibble = even column). */
    static int[] codes(Quantized q) {
        byte[] raw = q.q().toByteArray();
        DType t = q.format().qtype();
        int n = (int) q.q().numel();
        int[] c = new int[n];
        for (int i = 0; i < n; i++) {
            if (t.isPacked()) c[i] = (raw[i / 2] >> ((i & 1) * 4)) & 0xf;
            else if (t == DType.I8) c[i] = raw[i];
            else c[i] = raw[i] & 0xff;
        }
        return c;
    }

    static int[] scaleBits(Quantized q) {
        if (q.scales().dtype() == DType.F32) {
            float[] s = q.scales().toFloatArray();
            int[] b = new int[s.length];
            for (int i = 0; i < s.length; i++) b[i] = Float.floatToRawIntBits(s[i]);
            return b;
        }
        short[] s = q.scales().toShortArray();
        int[] b = new int[s.length];
        for (int i = 0; i < s.length; i++) b[i] = s[i] & 0xffff;
        return b;
    }

    static int[] bits(float[] scales, DType t) {
        int[] b = new int[scales.length];
        for (int i = 0; i < scales.length; i++) {
            b[i] = switch (t) {
                case F16 -> FloatFormats.F16.encode(scales[i]);
                case BF16 -> FloatFormats.BF16.encode(scales[i]);
                default -> Float.floatToRawIntBits(scales[i]);
            };
        }
        return b;
    }

    static float[] zeros(Quantized q) {
        long gc = q.scales().dim(1);
        long gr = q.scales().dim(0);
        float[] z = new float[(int) (gr * gc)];
        if (q.zeros().dtype() == DType.F16) {
            short[] s = q.zeros().toShortArray();
            for (int i = 0; i < z.length; i++) z[i] = FloatFormats.F16.decode(s[i] & 0xffff);
        } else {
            byte[] raw = q.zeros().toByteArray();
            long stride = (gc + 1) / 2;
            for (int r = 0; r < gr; r++) {
                for (int c = 0; c < gc; c++) z[(int) (r * gc + c)] = (raw[(int) (r * stride + c / 2)] >> ((c & 1) * 4)) & 0xf;
            }
        }
        return z;
    }

    static double sse(float[] x, float[] y) {
        double s = 0;
        for (int i = 0; i < x.length; i++) s += (double) (x[i] - y[i]) * (x[i] - y[i]);
        return s;
    }
}
