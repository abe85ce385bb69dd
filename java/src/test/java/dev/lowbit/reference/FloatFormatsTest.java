package dev.lowbit.reference;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Keeps the reference honest: for non-NaN values it must agree with the JDK's own binary16 conversions. */
class FloatFormatsTest {
    @Test
    void f16DecodeMatchesJdkForAllPatterns() {
        for (int h = 0; h < 0x10000; h++) {
            float jdk = Float.float16ToFloat((short) h);
            if (Float.isNaN(jdk)) continue;
            assertEquals(Float.floatToRawIntBits(jdk), Float.floatToRawIntBits(FloatFormats.F16.decode(h)), "pattern " + h);
        }
    }

    @Test
    void f16EncodeMatchesJdkOnBoundariesAndRandomValues() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 1_000_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(x)) continue;
            assertEquals(Float.floatToFloat16(x) & 0xffff, FloatFormats.F16.encode(x), () -> "value " + x);
        }
        for (float x : ConvertCases.f16Boundaries()) {
            if (Float.isNaN(x)) continue;
            assertEquals(Float.floatToFloat16(x) & 0xffff, FloatFormats.F16.encode(x), () -> "value " + x);
        }
    }

    @Test
    void bf16KnownValues() {
        assertEquals(0x3f80, FloatFormats.BF16.encode(1.0f));
        assertEquals(0x3f80, FloatFormats.BF16.encode(Float.intBitsToFloat(0x3f808000))); // tie, even stays
        assertEquals(0x3f82, FloatFormats.BF16.encode(Float.intBitsToFloat(0x3f818000))); // tie, odd rounds up
        assertEquals(0x7f80, FloatFormats.BF16.encode(Float.MAX_VALUE));                   // overflow
        assertEquals(0x0000, FloatFormats.BF16.encode(Float.intBitsToFloat(0x00008000))); // subnormal tie -> even 0
        assertEquals(0x0002, FloatFormats.BF16.encode(Float.intBitsToFloat(0x00018000))); // subnormal tie -> even 2
        assertEquals(0x7fc1, FloatFormats.BF16.encode(Float.intBitsToFloat(0x7f810000))); // signalling NaN -> quiet
    }
}
