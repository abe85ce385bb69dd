package dev.lowbit.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantTest {
    @Test
    void namesRoundTrip() {
        for (Quant q : Quant.standard()) assertEquals(q, Quant.parse(q.cliName()));
        assertEquals(Quant.W4A16.withGroup(128).withMseClip().withRotation(), Quant.parse("W4A16-g128-mse-rot"));
        assertEquals(32, Quant.parse("w4a8").group());
        assertEquals(Quant.W4A16.withMseClip().withGptq().withAwq(), Quant.parse("w4a16-g32-mse-gptq-awq"));
        assertEquals(Quant.W4A4.withRotation(), Quant.parse("w4a4-rot"));
        assertTrue(Quant.parse("w4fp8-awq").calibrated());
    }

    @Test
    void impossibleModesAreRejectedWithTheReason() {
        String[][] bad = {{"w3a3", "unknown quantization"}, {"w4a16-g3", "even group"}, {"w4a8-g48", "multiple of 32"},
                {"w8a8-g32", "no group size"}, {"w8a8-mse", "no group size"}, {"f32-rot", "nothing to rotate"},
                {"w8a8-gptq", "int4 schemes only"}, {"w4a16-gptq-rot", "does not combine"}, {"w4a16-fast", "unknown part 'fast'"},
                {"w4a16-g", "unknown part 'g'"}, {"w8a8-awq", "int4 schemes only"}, {"w4a16-awq-rot", "does not combine"},
                {"w4a4-g32", "no group size"}, {"fp8-mse", "no group size"}};
        for (String[] b : bad) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quant.parse(b[0]), b[0]);
            assertTrue(e.getMessage().contains(b[1]), b[0] + ": " + e.getMessage());
        }
    }
}
