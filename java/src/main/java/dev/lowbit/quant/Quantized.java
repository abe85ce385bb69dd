package dev.lowbit.quant;

import dev.lowbit.Tensor;

/**
 * A quantized {@code [rows, cols]} matrix: codes {@code q} ({@code [rows, cols]} of the format's qtype),
 * {@code scales} ({@code [rows/blockRows, cols/blockCols]}) and, for U4, {@code zeros} (same grid).
 */
public record Quantized(QuantFormat format, Tensor q, Tensor scales, Tensor zeros) {
    public long rows() {
        return q.dim(0);
    }

    public long cols() {
        return q.dim(1);
    }
}
