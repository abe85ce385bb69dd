package dev.lowbit;

import dev.lowbit.bindings.lowbit_h;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LowbitTest {
    @Test
    void versionMatchesHeader() {
        assertEquals(lowbit_h.LB_VERSION_MAJOR() + "." + lowbit_h.LB_VERSION_MINOR() + "." + lowbit_h.LB_VERSION_PATCH(), Lowbit.version());
        assertTrue(Lowbit.buildInfo().contains("ABI " + lowbit_h.LB_ABI_VERSION()), Lowbit.buildInfo());
    }

    @Test
    void bestIsaIsConsistentWithFeatures() {
        Set<CpuFeature> f = Lowbit.cpuFeatures();
        Isa best = Lowbit.bestIsa();
        if (best == Isa.AVX512) {
            assertTrue(f.containsAll(Set.of(CpuFeature.AVX512F, CpuFeature.AVX512BW, CpuFeature.AVX512_VNNI, CpuFeature.AVX512_BF16)), f.toString());
        }
        if (best.ordinal() >= Isa.AVX2.ordinal()) {
            assertTrue(f.containsAll(Set.of(CpuFeature.AVX2, CpuFeature.FMA, CpuFeature.F16C)), f.toString());
        }
        assertTrue(Lowbit.isa().ordinal() <= best.ordinal());
    }

    @Test
    void isaCanBeLoweredAndRestored() {
        Isa before = Lowbit.isa();
        try {
            Lowbit.setIsa(Isa.SCALAR);
            assertEquals(Isa.SCALAR, Lowbit.isa());
        } finally {
            Lowbit.setIsa(before);
        }
        assertEquals(before, Lowbit.isa());
    }

    @Test
    void unsupportedIsaIsRefusedByTheNativeSide() {
        if (Lowbit.bestIsa() == Isa.AVX512) return; // nothing above the best to ask for here
        var e = assertThrows(LowbitException.class, () -> Lowbit.setIsa(Isa.AVX512));
        assertEquals(LowbitException.Status.UNSUPPORTED, e.status());
        assertTrue(e.getMessage().contains("cannot run the avx512 kernels"), e.getMessage());
    }

    @Test
    void threadsCanBeSet() {
        int before = Lowbit.threads();
        try {
            Lowbit.setThreads(1);
            assertEquals(1, Lowbit.threads());
            Lowbit.setThreads(3);
            assertEquals(3, Lowbit.threads());
        } finally {
            Lowbit.setThreads(before);
        }
        var e = assertThrows(IllegalArgumentException.class, () -> Lowbit.setThreads(-1));
        assertEquals("threads must be >= 0 (0 = one per hardware thread), got -1", e.getMessage());
    }

    @Test
    void cudaStatusExplainsAbsence() {
        if (Lowbit.cudaDeviceCount() == 0) {
            assertTrue(Lowbit.cudaStatus().startsWith("no CUDA device"), Lowbit.cudaStatus());
            assertTrue(Lowbit.cudaDevices().isEmpty());
        } else {
            assertEquals(Lowbit.cudaDeviceCount(), Lowbit.cudaDevices().size());
        }
        String info = Lowbit.info();
        assertTrue(info.contains("cpu kernels:") && info.contains("cuda:"), info);
    }
}
