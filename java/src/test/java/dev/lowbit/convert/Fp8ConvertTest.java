package dev.lowbit.convert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.reference.ConvertCases;
import dev.lowbit.reference.FloatFormats;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.support.Isas;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Bulk fp8 conversion on every CPU variant against {@link Fp8Reference}: all 256 codes of both formats
 * decode exactly (to F32, F16, BF16), and encoding is right at every rounding boundary, saturating or not.
 * (native/tests/fp8_oracle_test.cpp checks the same helpers against CUDA's cuda_fp8.h.)
 */
class Fp8ConvertTest {
    static List<Isa> isas() {
        return Isas.available();
    }

    @ParameterizedTest
    @MethodSource("isas")
    void allCodesDecodeExactly(Isa isa) {
        Isas.with(isa, () -> {
            try (Arena arena = Arena.ofConfined()) {
                byte[] codes = new byte[256];
                for (int i = 0; i < 256; i++) codes[i] = (byte) i;
                for (Fp8Reference f : Fp8Reference.values()) {
                    DType t = f == Fp8Reference.E4M3 ? DType.FP8_E4M3 : DType.FP8_E5M2;
                    Tensor src = Tensor.ofBytes(arena, t, codes, 256);
                    Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, 256);
                    Convert.convert(src, f32);
                    Tensor f16 = Tensor.allocate(arena, DType.F16, Device.CPU, 256);
                    Convert.convert(src, f16);
                    Tensor bf16 = Tensor.allocate(arena, DType.BF16, Device.CPU, 256);
                    Convert.convert(src, bf16);
                    float[] got = f32.toFloatArray();
                    short[] got16 = f16.toShortArray(), gotB = bf16.toShortArray();
                    for (int c = 0; c < 256; c++) {
                        double v = f.decode(c);
                        if (Double.isNaN(v)) {
                            assertTrue(Float.isNaN(got[c]), t + " code " + c);
                            continue;
                        }
                        assertEquals((float) v, got[c], t + " code 0x" + Integer.toHexString(c));
                        assertEquals(Float.floatToRawIntBits((float) v), Float.floatToRawIntBits(got[c]), t + " code " + c + " (sign of zero)");
                        assertEquals(FloatFormats.F16.encode((float) v), got16[c] & 0xffff, t + " -> F16 code " + c);
                        assertEquals(FloatFormats.BF16.encode((float) v), gotB[c] & 0xffff, t + " -> BF16 code " + c);
                    }
                }
            }
        });
    }

    @ParameterizedTest
    @MethodSource("isas")
    void encodingAtEveryBoundarySaturatingOrNot(Isa isa) {
        Isas.with(isa, () -> {
            for (Fp8Reference f : Fp8Reference.values()) {
                float[] values = ConvertCases.concat(ConvertCases.fp8Boundaries(f), ConvertCases.randomBits(100_003, 17));
                for (boolean saturate : new boolean[] {false, true}) assertEncoding(f, values, saturate);
            }
        });
    }

    private static void assertEncoding(Fp8Reference f, float[] values, boolean saturate) {
        DType t = f == Fp8Reference.E4M3 ? DType.FP8_E4M3 : DType.FP8_E5M2;
        try (Arena arena = Arena.ofConfined()) {
            Tensor src = Tensor.of(arena, values, values.length);
            Tensor dst = Tensor.allocate(arena, t, Device.CPU, values.length);
            if (saturate) Convert.convertSaturating(src, dst);
            else Convert.convert(src, dst);
            byte[] got = dst.toByteArray();
            for (int i = 0; i < values.length; i++) {
                int expected = f.encode(values[i], saturate);
                if (expected != (got[i] & 0xff)) {
                    assertEquals(Integer.toHexString(expected), Integer.toHexString(got[i] & 0xff),
                            t + (saturate ? " saturating" : "") + " of " + values[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(values[i])) + ")");
                }
            }
        }
    }
}
