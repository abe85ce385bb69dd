package dev.lowbit.model.bert;

import java.util.List;

/**
 * The fp32 weights of a BERT encoder, as found in the graph (see {@link BertGraph}). Linear weights
 * are kept as the graph has them, {@code [in, out]} row-major (y = x W + b).
 */
public record BertWeights(int hidden, int heads, int vocab, int maxPositions, float[] wordEmbeddings, float[] positionEmbeddings,
                          float[] tokenTypeEmbeddings, LayerNorm embeddingNorm, List<Layer> layers) {
    public record Linear(float[] w, float[] b, int in, int out) {}

    public record LayerNorm(float[] gamma, float[] beta, float eps) {}

    /** One encoder layer: self-attention (q, k, v, o), its norm, the FFN (up, GELU, down), its norm. */
    public record Layer(Linear q, Linear k, Linear v, Linear o, LayerNorm attentionNorm, Linear up, Linear down, LayerNorm outputNorm) {}

    public int headDim() {
        return hidden / heads;
    }
}
