package dev.lowbit.quant;

/**
 * Which elements share one scale: blocks of {@code blockRows × blockCols} of a row-major
 * {@code [rows, cols]} matrix, where {@link #WHOLE} stands for the full extent of that dimension.
 * Rows and columns must divide evenly into blocks.
 */
public record Granularity(long blockRows, long blockCols) {
    /** The full extent of a dimension. */
    public static final long WHOLE = -1;

    /** One scale for the whole tensor. */
    public static final Granularity PER_TENSOR = new Granularity(WHOLE, WHOLE);
    /** One scale per row (per token for activations, per output channel for [out, in] weights). */
    public static final Granularity PER_ROW = new Granularity(1, WHOLE);
    /** One scale per column. */
    public static final Granularity PER_COLUMN = new Granularity(WHOLE, 1);

    public Granularity {
        if (blockRows != WHOLE && blockRows <= 0) throw new IllegalArgumentException("blockRows must be > 0 or WHOLE, got " + blockRows);
        if (blockCols != WHOLE && blockCols <= 0) throw new IllegalArgumentException("blockCols must be > 0 or WHOLE, got " + blockCols);
    }

    /** One scale per {@code size} consecutive elements of a row (AWQ/GPTQ groups: 32, 64, 128). */
    public static Granularity group(long size) {
        return new Granularity(1, size);
    }

    /** One scale per {@code rows × cols} block (DeepSeek-V3/vLLM fp8: 1×128 activations, 128×128 weights). */
    public static Granularity block(long rows, long cols) {
        return new Granularity(rows, cols);
    }

    /** {@code {blockRows, blockCols}} for a matrix of this size; checks that it divides evenly. */
    public long[] resolve(long rows, long cols) {
        long br = blockRows == WHOLE ? rows : blockRows;
        long bc = blockCols == WHOLE ? cols : blockCols;
        if (cols % bc != 0) {
            throw new IllegalArgumentException("cols " + cols + " is not a multiple of the block/group width " + bc + " (" + this + ")");
        }
        if (rows % br != 0) {
            throw new IllegalArgumentException("rows " + rows + " is not a multiple of the block height " + br + " (" + this + ")");
        }
        return new long[] {br, bc};
    }

    @Override
    public String toString() {
        if (equals(PER_TENSOR)) return "per-tensor";
        if (equals(PER_ROW)) return "per-row";
        if (equals(PER_COLUMN)) return "per-column";
        if (blockRows == 1) return "group-" + blockCols;
        return "block-" + (blockRows == WHOLE ? "all" : blockRows) + "x" + (blockCols == WHOLE ? "all" : blockCols);
    }
}
