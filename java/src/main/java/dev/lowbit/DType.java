package dev.lowbit;

/**
 * Element types of {@link Tensor}s. The bit layouts are documented in {@code native/include/lowbit.h};
 * {@link #code()} is the {@code LB_DTYPE_*} value the native library uses.
 */
public enum DType {
    /** IEEE-754 binary32. */
    F32(0, 32),
    /** IEEE-754 binary16. */
    F16(1, 16),
    /** bfloat16: the top 16 bits of a binary32. */
    BF16(2, 16),
    /** Signed 8-bit integer. */
    I8(3, 8),
    /** Unsigned 8-bit integer. */
    U8(4, 8),
    /** Signed 4-bit integer (-8..7), two per byte: element 2i in the low nibble, 2i+1 in the high nibble. */
    I4(5, 4),
    /** Unsigned 4-bit integer (0..15), packed like {@link #I4}. */
    U4(6, 4),
    /** OCP FP8 E4M3FN: bias 7, no infinities, max ±448, NaN = S.1111.111. */
    FP8_E4M3(7, 8),
    /** OCP FP8 E5M2: bias 15, IEEE-like with ±Inf and NaN, max ±57344. */
    FP8_E5M2(8, 8),
    /** Signed 32-bit integer. */
    I32(9, 32);

    private final int code;
    private final int bits;

    DType(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    /** The {@code LB_DTYPE_*} value of this type in {@code lowbit.h}. */
    public int code() {
        return code;
    }

    /** Bits per element (4 for the packed types). */
    public int bits() {
        return bits;
    }

    /** True for the 4-bit types, which store two elements per byte. */
    public boolean isPacked() {
        return bits < 8;
    }

    /** Bytes needed for {@code count} contiguous elements (packed types round up). */
    public long byteSize(long count) {
        return isPacked() ? (count + 1) / 2 : count * (bits / 8);
    }

    /** Required address alignment of the data, in bytes (the element size; 1 for packed types). */
    public int alignment() {
        return Math.max(1, bits / 8);
    }

    /** The type whose {@link #code()} is {@code code}. */
    public static DType ofCode(int code) {
        for (DType t : values()) {
            if (t.code == code) return t;
        }
        throw new IllegalArgumentException("unknown dtype code " + code);
    }
}
