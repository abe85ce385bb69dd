package dev.lowbit;

/** CPU kernel variants, chosen at run time from the CPU's features ({@code LB_ISA_*}). */
public enum Isa {
    /** Plain C++ for any x86-64: the fallback and the bit-exact model for the others. */
    SCALAR,
    /** AVX2 + FMA + F16C (Haswell, Zen 1 and later). */
    AVX2,
    /** AVX-512 F/BW/DQ/VL (Skylake-SP, Cascade Lake, Ice Lake, Sapphire Rapids, Zen 4 and later); the kernels that
     *  also use AVX512_VNNI, AVX512_BF16 or AVX512_VBMI check for it and otherwise run their AVX2 form. */
    AVX512;

    public int code() {
        return ordinal();
    }

    public static Isa ofCode(int code) {
        return values()[code];
    }
}
