package dev.lowbit.activation;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** lb_gelu against x · erfc(−x/√2) / 2 in double, on every ISA (which agree bit for bit). */
class GeluTest {
    @Test
    void erfReferenceMatchesKnownValues() {
        // erf values from tables (Abramowitz & Stegun 7.1), to 15 digits; erfc(5) and erfc(10) likewise.
        double[][] known = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149}, {2, 0.9953222650189527},
                {3, 0.9999779095030014}, {-1.5, -0.9661051464753108}};
        for (double[] k : known) assertEquals(k[1], Erf.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
        assertEquals(1.5374597944280349e-12, Erf.erfc(5), 1e-26);
        assertEquals(2.0884875837625447e-45, Erf.erfc(10), 1e-59);
        assertEquals(2 - 1.5374597944280349e-12, Erf.erfc(-5), 1e-15);
    }

    static double reference(double x) {
        return 0.5 * x * Erf.erfc(-x / Math.sqrt(2));
    }

    @Test
    void matchesTheDefinitionOnEveryIsa() {
        // A dense sweep over [-12, 12] plus sizes that leave every vector tail.
        float[] x = new float[240001];
        for (int i = 0; i < x.length; i++) x[i] = (i - 120000) * 1e-4f;
        float[][] scalar = new float[1][];
        for (Isa isa : Isas.available())
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    float[] got = run(arena, x);
                    double worst = 0;
                    for (int i = 0; i < x.length; i++) {
                        double want = reference(x[i]), err = Math.abs(got[i] - want) / Math.max(1, Math.abs(x[i]));
                        // the bound lowbit.h documents: ~1 float ulp of x
                        assertTrue(err <= 4e-7, isa + ": gelu(" + x[i] + ") = " + got[i] + ", want " + want);
                        worst = Math.max(worst, err);
                    }
                    assertTrue(worst > 1e-9, isa + ": exact to the last bit everywhere is not float arithmetic: " + worst);
                    if (isa == Isa.SCALAR) scalar[0] = got;
                    else assertArrayEquals(scalar[0], got, isa + " differs from the scalar build");
                    for (int n : new int[] {1, 15, 17, 33, 100})
                        assertArrayEquals(java.util.Arrays.copyOf(got, n), run(arena, java.util.Arrays.copyOf(x, n)), isa + " n=" + n);
                }
            });
    }

    @Test
    void specialValuesAndInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            float[] got = run(arena, new float[] {0f, -0f, 50f, -50f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-30f});
            assertEquals(0f, got[0]);
            assertEquals(50f, got[2]);
            assertEquals(0f, got[3], 1e-7f);
            assertEquals(Float.POSITIVE_INFINITY, got[4]);
            assertTrue(Float.isNaN(got[5]), "GELU(-inf) is NaN (-inf * 0), as documented");
            assertTrue(Float.isNaN(got[6]));
            assertEquals(0.5e-30f, got[7], 1e-36f);
            Tensor t = Tensor.of(arena, new float[] {1f, -1f, 2f}, 3);
            Gelu.apply(t, t);
            assertArrayEquals(new float[] {(float) reference(1), (float) reference(-1), (float) reference(2)}, t.toFloatArray(), 8e-7f);
        }
    }

    @Test
    void specialValuesGiveTheSameBitsOnEveryIsa() {
        // 40 values: whole vectors of 8, 16 and 32 and a tail, each kind of special value in several lanes.
        float[] special = {0f, -0f, 50f, -50f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-30f, -1e-45f, 5.656f,
                Float.intBitsToFloat(0x7fc12345), Float.intBitsToFloat(0xffa00001), 5.657f, -5.657f, Float.MAX_VALUE, -Float.MAX_VALUE};
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = special[(i * 7) % special.length];
        int[][] scalar = new int[1][];
        for (Isa isa : Isas.available())
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    float[] got = run(arena, x);
                    int[] bits = new int[got.length];
                    for (int i = 0; i < got.length; i++) bits[i] = Float.floatToRawIntBits(got[i]);
                    if (isa == Isa.SCALAR) scalar[0] = bits;
                    else assertArrayEquals(scalar[0], bits, isa + " differs from the scalar build");
                }
            });
    }

    @Test
    void badArgumentsAreClearErrors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 6), out = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 6);
            Gelu.apply(x, out);
            assertThrows(IllegalArgumentException.class, () -> Gelu.apply(x, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 5)));
            assertThrows(IllegalArgumentException.class, () -> Gelu.apply(x, Tensor.allocate(arena, DType.BF16, Device.CPU, 4, 6)));
            assertThrows(IllegalArgumentException.class, () -> Gelu.apply(x.slice(1, 0, 3), Tensor.allocate(arena, DType.F32, Device.CPU, 4, 3)));
            Tensor flat = Tensor.allocate(arena, DType.F32, Device.CPU, 30);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Gelu.apply(flat.slice(0, 0, 24).reshape(4, 6), flat.slice(0, 4, 28).reshape(4, 6)));
            assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
            assertThrows(NullPointerException.class, () -> Gelu.apply(null, out));
            Tensor readOnly = Tensor.wrap(arena.allocate(4 * 6 * 4).asReadOnly(), DType.F32, 4, 6);
            assertThrows(IllegalArgumentException.class, () -> Gelu.apply(x, readOnly));
        }
        Arena closed = Arena.ofConfined();
        Tensor x = Tensor.allocate(closed, DType.F32, Device.CPU, 3);
        closed.close();
        assertThrows(IllegalStateException.class, () -> Gelu.apply(x, x));
    }

    private static float[] run(Arena arena, float[] x) {
        Tensor in = Tensor.of(arena, x, x.length), out = Tensor.allocate(arena, DType.F32, Device.CPU, x.length);
        Gelu.apply(in, out);
        return out.toFloatArray();
    }
}
