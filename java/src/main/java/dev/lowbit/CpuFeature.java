package dev.lowbit;

import java.util.EnumSet;
import java.util.Set;

/** CPU features the native library detected (CPU and OS support both), bit {@code i} of {@code lb_cpu_features()}. */
public enum CpuFeature {
    AVX2, FMA, F16C, AVX512F, AVX512BW, AVX512DQ, AVX512VL, AVX512_VNNI, AVX512_BF16, AVX512_FP16, AVX_VNNI,
    AMX_TILE, AMX_INT8, AMX_BF16, AVX512_VBMI;

    /** The set encoded by a {@code lb_cpu_features()} bit mask. */
    public static Set<CpuFeature> fromMask(long mask) {
        EnumSet<CpuFeature> set = EnumSet.noneOf(CpuFeature.class);
        for (CpuFeature f : values()) {
            if ((mask & (1L << f.ordinal())) != 0) set.add(f);
        }
        return set;
    }
}
