package dev.lowbit.convert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.reference.ConvertCases;
import dev.lowbit.reference.FloatFormats;
import dev.lowbit.reference.FloatFormats.Format;
import dev.lowbit.support.Isas;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The convert kernels of every CPU variant against the plain-Java reference, bit for bit: all 65536
 * patterns of each 16-bit format, and every rounding boundary of f32 -> f16/bf16.
 */
class ConvertTest {
    static List<Isa> isas() {
        return Isas.available();
    }

    @ParameterizedTest
    @MethodSource("isas")
    void f16ToF32AllPatterns(Isa isa) {
        Isas.with(isa, () -> assertWidening(DType.F16, FloatFormats.F16));
    }

    @ParameterizedTest
    @MethodSource("isas")
    void bf16ToF32AllPatterns(Isa isa) {
        Isas.with(isa, () -> assertWidening(DType.BF16, FloatFormats.BF16));
    }

    @ParameterizedTest
    @MethodSource("isas")
    void f32ToF16RoundingBoundariesAndRandomBits(Isa isa) {
        Isas.with(isa, () -> {
            assertNarrowing(DType.F16, FloatFormats.F16, ConvertCases.f16Boundaries());
            assertNarrowing(DType.F16, FloatFormats.F16, ConvertCases.randomBits(1 << 20, 42));
        });
    }

    @ParameterizedTest
    @MethodSource("isas")
    void f32ToBf16RoundingBoundariesAndRandomBits(Isa isa) {
        Isas.with(isa, () -> {
            assertNarrowing(DType.BF16, FloatFormats.BF16, ConvertCases.bf16Boundaries());
            assertNarrowing(DType.BF16, FloatFormats.BF16, ConvertCases.randomBits(1 << 20, 43));
        });
    }

    @ParameterizedTest
    @MethodSource("isas")
    void f16ToBf16AndBackAllPatterns(Isa isa) {
        Isas.with(isa, () -> {
            assertHalfToHalf(DType.F16, FloatFormats.F16, DType.BF16, FloatFormats.BF16);
            assertHalfToHalf(DType.BF16, FloatFormats.BF16, DType.F16, FloatFormats.F16);
        });
    }

    /** Vector tails and the split over threads: every length near a vector width, and one odd large length. */
    @ParameterizedTest
    @MethodSource("isas")
    void everyTailLengthAndALargeOddLength(Isa isa) {
        Isas.with(isa, () -> {
            for (int n = 0; n <= 70; n++) assertNarrowing(DType.F16, FloatFormats.F16, ConvertCases.randomBits(n, n));
            assertNarrowing(DType.BF16, FloatFormats.BF16, ConvertCases.randomBits(1_000_003, 7));
        });
    }

    /**
     * Outputs of 32 MiB and more go out with non-temporal stores (native simd/streaming.h), here into a
     * 64-byte-aligned destination and one that is not (AVX-512 streams after a head up to the first aligned
     * line; AVX2 only when aligned): the same bits as the ordinary stores give when the same values are
     * converted in small pieces. Encoding to 16-bit and fp8 formats, and decoding fp8 to f32.
     */
    @ParameterizedTest
    @MethodSource("isas")
    void streamedOutputsMatchSmallConversions(Isa isa) {
        Isas.with(isa, () -> {
            for (int offset : new int[] {0, 3}) {
                for (DType to : List.of(DType.BF16, DType.F16, DType.FP8_E4M3)) {
                    int n = (32 << 20) / (int) to.byteSize(1) + 5;
                    try (Arena arena = Arena.ofConfined()) {
                        assertStreamedMatchesPieces(arena, Tensor.of(arena, ConvertCases.randomBits(n, 17), n), to, offset);
                    }
                }
                int n = (32 << 20) / 4 + 5;
                byte[] codes = new byte[n];
                new java.util.SplittableRandom(23).nextBytes(codes);
                try (Arena arena = Arena.ofConfined()) {
                    assertStreamedMatchesPieces(arena, Tensor.ofBytes(arena, DType.FP8_E4M3, codes, n), DType.F32, offset);
                }
            }
        });
    }

    /** Converts src whole into a destination `offset` elements past a 64-byte boundary, then 1 Mi-element pieces; same bytes. */
    static void assertStreamedMatchesPieces(Arena arena, Tensor src, DType to, int offset) {
        int n = (int) src.dim(0), piece = 1 << 20;
        long size = to.byteSize(1), srcSize = src.dtype().byteSize(1);
        MemorySegment storage = arena.allocate((n + offset) * size, 64);
        Tensor big = Tensor.wrap(storage.asSlice(offset * size), to, n);
        Convert.convert(src, big);
        for (int i = 0; i < n; i += piece) {
            int len = Math.min(piece, n - i);
            Tensor small = Tensor.allocate(arena, to, Device.CPU, len);
            Convert.convert(Tensor.wrap(src.segment().asSlice(srcSize * i, srcSize * len), src.dtype(), len), small);
            assertArrayEquals(small.segment().toArray(ValueLayout.JAVA_BYTE), big.segment().asSlice(i * size, len * size).toArray(ValueLayout.JAVA_BYTE),
                    src.dtype() + " -> " + to + " at offset " + offset + ", elements " + i + ".." + (i + len - 1));
        }
    }

    @ParameterizedTest
    @MethodSource("isas")
    void inPlaceBetweenSixteenBitFormats(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                short[] bits = allPatterns();
                Tensor f16 = Tensor.ofBits(arena, DType.F16, bits, bits.length);
                Tensor asBf16 = Tensor.wrap(f16.segment(), DType.BF16, bits.length);
                Convert.convert(f16, asBf16);
                short[] expected = new short[bits.length];
                for (int i = 0; i < bits.length; i++) {
                    expected[i] = (short) FloatFormats.BF16.encode(FloatFormats.F16.decode(bits[i] & 0xffff));
                }
                assertArrayEquals(expected, asBf16.toShortArray());
            }
        });
    }

    @ParameterizedTest
    @MethodSource("isas")
    void sameDtypeIsACopy(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                float[] values = ConvertCases.randomBits(1001, 9);
                Tensor src = Tensor.of(arena, values, values.length);
                Tensor dst = Tensor.allocate(arena, DType.F32, Device.CPU, values.length);
                Convert.convert(src, dst);
                assertArrayEquals(bitsOf(values), bitsOf(dst.toFloatArray()));
            }
        });
    }

    // ------------------------------------------------------------------ helpers

    private static void assertWidening(DType type, Format format) {
        try (Arena arena = Arena.ofConfined()) {
            short[] bits = allPatterns();
            Tensor src = Tensor.ofBits(arena, type, bits, bits.length);
            Tensor dst = Tensor.allocate(arena, DType.F32, Device.CPU, bits.length);
            Convert.convert(src, dst);
            float[] got = dst.toFloatArray();
            for (int h = 0; h < bits.length; h++) {
                int expected = Float.floatToRawIntBits(format.decode(h));
                int actual = Float.floatToRawIntBits(got[h]);
                if (expected != actual) {
                    assertEquals(Integer.toHexString(expected), Integer.toHexString(actual), type + " pattern 0x" + Integer.toHexString(h));
                }
            }
        }
    }

    private static void assertNarrowing(DType type, Format format, float[] values) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.of(arena, values, values.length);
            Tensor dst = Tensor.allocate(arena, type, Device.CPU, values.length);
            Convert.convert(src, dst);
            short[] got = dst.toShortArray();
            for (int i = 0; i < values.length; i++) {
                int expected = format.encode(values[i]);
                if (expected != (got[i] & 0xffff)) {
                    assertEquals(Integer.toHexString(expected), Integer.toHexString(got[i] & 0xffff),
                            type + " of f32 0x" + Integer.toHexString(Float.floatToRawIntBits(values[i])) + " (" + values[i] + ")");
                }
            }
        }
    }

    private static void assertHalfToHalf(DType from, Format fromFormat, DType to, Format toFormat) {
        try (Arena arena = Arena.ofConfined()) {
            short[] bits = allPatterns();
            Tensor src = Tensor.ofBits(arena, from, bits, bits.length);
            Tensor dst = Tensor.allocate(arena, to, Device.CPU, bits.length);
            Convert.convert(src, dst);
            short[] got = dst.toShortArray();
            for (int h = 0; h < bits.length; h++) {
                int expected = toFormat.encode(fromFormat.decode(h));
                if (expected != (got[h] & 0xffff)) {
                    assertEquals(Integer.toHexString(expected), Integer.toHexString(got[h] & 0xffff),
                            from + " -> " + to + " of 0x" + Integer.toHexString(h));
                }
            }
        }
    }

    static short[] allPatterns() {
        short[] bits = new short[1 << 16];
        for (int i = 0; i < bits.length; i++) bits[i] = (short) i;
        return bits;
    }

    private static int[] bitsOf(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
        return bits;
    }
}
