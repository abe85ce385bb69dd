package dev.lowbit.model.bert;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeluTest {
    @Test
    void erfReferenceMatchesKnownValues() {
        // erf values from tables (Abramowitz & Stegun 7.1), to 15 digits.
        double[][] known = {{0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149}, {2, 0.9953222650189527},
                {3, 0.9999779095030014}, {-1.5, -0.9661051464753108}};
        for (double[] k : known) assertEquals(k[1], Erf.erf(k[0]), 1e-15, "erf(" + k[0] + ")");
    }

    @Test
    void fastErfWithin1e8OfTheReference() {
        double worst = 0;
        for (int i = -800000; i <= 800000; i++) {
            double x = i * 1e-5;
            worst = Math.max(worst, Math.abs(Gelu.erf(x) - Erf.erf(x)));
        }
        assertTrue(worst < 2e-8, "max |erf error| " + worst);
    }

    @Test
    void geluMatchesTheDefinitionToFloatPrecision() {
        float[] x = new float[200001];
        for (int i = 0; i < x.length; i++) x[i] = (i - 100000) * 1e-4f;
        float[] y = x.clone();
        Gelu.apply(y);
        for (int i = 0; i < x.length; i++) {
            double want = 0.5 * x[i] * (1 + Erf.erf(x[i] / Math.sqrt(2)));
            assertEquals(want, y[i], 1e-7 + 1e-6 * Math.abs(want), "gelu(" + x[i] + ")");
        }
        float[] big = {-50f, 50f, 0f, -1e4f};
        Gelu.apply(big);
        assertEquals(0f, big[0], 1e-6f);  // the clamped erf: x * 7.7e-9 below x = -5.7 (see Gelu)
        assertEquals(50f, big[1]);
        assertEquals(0f, big[2]);
        assertEquals(0f, big[3], 1e-4f);
    }
}
