package dev.lowbit.model.bert;

import dev.lowbit.model.ModelFormatException;
import dev.lowbit.model.onnx.OnnxModel;
import dev.lowbit.model.onnx.OnnxNode;
import dev.lowbit.model.onnx.OnnxTensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds a BERT encoder in an ONNX graph (as exported from PyTorch/HuggingFace: MatMul + Add linear
 * layers, LayerNorm either fused or spelled out as ReduceMean/Sub/Pow/Sqrt/Div/Mul/Add) by
 * following the data flow, not by trusting names, which exporters make opaque ("onnx::MatMul_787"):
 * <ul>
 *   <li>embeddings: the Gathers of initializers indexed by input_ids, token_type_ids and positions;</li>
 *   <li>linear layers: MatMul by an initializer [in, out] whose output is added to an initializer [out];</li>
 *   <li>per layer, q/k/v are the three linears reading the same tensor, told apart by where their
 *       outputs go (q: left operand of the score MatMul, k: right one, v: right operand of the MatMul
 *       after the Softmax);</li>
 *   <li>layer norms: Mul by an initializer [hidden] followed by Add of one; eps from the Add feeding the Sqrt.</li>
 * </ul>
 * Anything that does not fit the pattern is a {@link ModelFormatException} saying what was missing.
 */
public final class BertGraph {
    private final OnnxModel model;
    private final Map<String, OnnxNode> producer = new HashMap<>();
    private final Map<String, List<OnnxNode>> consumers = new HashMap<>();

    private BertGraph(OnnxModel model) {
        this.model = model;
        for (OnnxNode n : model.nodes()) {
            for (String o : n.outputs()) producer.put(o, n);
            for (String i : n.inputs()) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
        }
    }

    public static BertWeights weights(OnnxModel model) {
        return new BertGraph(model).find();
    }

    private record Found(OnnxNode matmul, OnnxNode add, BertWeights.Linear linear) {
        String input() {
            return in(matmul, 0);
        }

        String output() {
            return out(add);
        }
    }

    private BertWeights find() {
        OnnxTensor word = embeddingTable("input_ids"), type = embeddingTable("token_type_ids");
        OnnxTensor position = positionTable(word, type);
        int hidden = (int) word.dims()[1];
        if (type.dims()[1] != hidden || position.dims()[1] != hidden)
            throw bad("embedding widths differ: word " + hidden + ", type " + type.dims()[1] + ", position " + position.dims()[1]);

        List<Found> linears = new ArrayList<>();
        List<BertWeights.LayerNorm> norms = new ArrayList<>();
        for (OnnxNode n : model.nodes()) {
            if (n.opType().equals("MatMul")) linear(n).ifPresent(linears::add);
            if (n.opType().equals("Mul") || n.opType().equals("LayerNormalization")) layerNorm(n, hidden).ifPresent(norms::add);
        }
        if (linears.isEmpty() || linears.size() % 6 != 0)
            throw bad(linears.size() + " linear layers (MatMul by a weight + bias), expected 6 per encoder layer");
        int layers = linears.size() / 6;
        if (norms.size() != 2 * layers + 1) throw bad(norms.size() + " layer norms for " + layers + " layers, expected " + (2 * layers + 1));

        int heads = -1;
        List<BertWeights.Layer> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            List<Found> f = linears.subList(6 * l, 6 * l + 6);
            String in = f.get(0).input();
            if (!f.get(1).input().equals(in) || !f.get(2).input().equals(in))
                throw bad("layer " + l + ": the first three linears do not read the same tensor (q, k, v)");
            Found q = null, k = null, v = null;
            for (Found x : f.subList(0, 3)) {
                switch (attentionRole(x.output())) {
                    case "q" -> q = x;
                    case "k" -> k = x;
                    default -> v = x;
                }
            }
            if (q == null || k == null || v == null) throw bad("layer " + l + ": could not tell q, k and v apart");
            int h = headsOf(q.output(), hidden);
            if (heads != -1 && h != heads) throw bad("layer " + l + " has " + h + " heads, earlier layers " + heads);
            heads = h;
            BertWeights.Linear o = f.get(3).linear(), up = f.get(4).linear(), down = f.get(5).linear();
            check(q.linear(), hidden, hidden, l, "q");
            check(k.linear(), hidden, hidden, l, "k");
            check(v.linear(), hidden, hidden, l, "v");
            check(o, hidden, hidden, l, "attention output");
            check(up, hidden, up.out(), l, "FFN up");
            check(down, up.out(), hidden, l, "FFN down");
            out.add(new BertWeights.Layer(q.linear(), k.linear(), v.linear(), o, norms.get(1 + 2 * l), up, down, norms.get(2 + 2 * l)));
        }
        return new BertWeights(hidden, heads, (int) word.dims()[0], (int) position.dims()[0], word.toFloats(), position.toFloats(),
                type.toFloats(), norms.get(0), List.copyOf(out));
    }

    private void check(BertWeights.Linear lin, int in, int outDim, int layer, String what) {
        if (lin.in() != in || lin.out() != outDim)
            throw bad("layer " + layer + " " + what + " is [" + lin.in() + ", " + lin.out() + "], expected [" + in + ", " + outDim + "]");
    }

    /** The [rows, hidden] initializer gathered by the graph input {@code input}. */
    private OnnxTensor embeddingTable(String input) {
        if (!model.inputs().contains(input)) throw bad("no graph input '" + input + "' (inputs: " + model.inputs() + ")");
        for (OnnxNode n : consumers.getOrDefault(input, List.of())) {
            if (n.opType().equals("Gather") && in(n, 1).equals(input)) {
                OnnxTensor t = model.initializers().get(in(n, 0));
                if (t != null && t.dims().length == 2) return t;
            }
        }
        throw bad("no embedding table gathered by '" + input + "'");
    }

    /** The other 2-D initializer gathered by position indices (not by a graph input). */
    private OnnxTensor positionTable(OnnxTensor word, OnnxTensor type) {
        for (OnnxNode n : model.nodes()) {
            if (!n.opType().equals("Gather")) continue;
            OnnxTensor t = model.initializers().get(in(n, 0));
            if (t != null && t != word && t != type && t.dims().length == 2) return t;
        }
        throw bad("no position embedding table");
    }

    private java.util.Optional<Found> linear(OnnxNode mm) {
        OnnxTensor w = model.initializers().get(in(mm, 1));
        if (w == null || w.dims().length != 2) return java.util.Optional.empty();
        for (OnnxNode add : consumers.getOrDefault(out(mm), List.of())) {
            if (!add.opType().equals("Add")) continue;
            for (String i : add.inputs()) {
                OnnxTensor b = model.initializers().get(i);
                if (b != null && b.dims().length == 1 && b.dims()[0] == w.dims()[1]) {
                    var lin = new BertWeights.Linear(w.toFloats(), b.toFloats(), (int) w.dims()[0], (int) w.dims()[1]);
                    return java.util.Optional.of(new Found(mm, add, lin));
                }
            }
        }
        return java.util.Optional.empty();
    }

    private java.util.Optional<BertWeights.LayerNorm> layerNorm(OnnxNode n, int hidden) {
        if (n.opType().equals("LayerNormalization")) {
            OnnxTensor g = model.initializers().get(in(n, 1)), b = n.inputs().size() > 2 ? model.initializers().get(in(n, 2)) : null;
            if (g == null || b == null) throw bad("LayerNormalization '" + n.name() + "' without initializer scale and bias");
            return java.util.Optional.of(new BertWeights.LayerNorm(g.toFloats(), b.toFloats(), n.floatAttribute("epsilon", 1e-5f)));
        }
        // Spelled out: Div(x - mean, Sqrt(var + eps)) * gamma + beta.
        OnnxTensor g = model.initializers().get(in(n, 1));
        OnnxNode div = producer.get(in(n, 0));
        if (g == null || g.dims().length != 1 || g.dims()[0] != hidden || div == null || !div.opType().equals("Div")) return java.util.Optional.empty();
        OnnxNode sqrt = producer.get(in(div, 1));
        if (sqrt == null || !sqrt.opType().equals("Sqrt")) return java.util.Optional.empty();
        OnnxNode addEps = producer.get(in(sqrt, 0));
        if (addEps == null || !addEps.opType().equals("Add")) throw bad("layer norm '" + n.name() + "': no Add of eps before its Sqrt");
        float eps = Float.NaN;
        for (String i : addEps.inputs()) {
            float[] c = constant(i);
            if (c != null && c.length == 1) eps = c[0];
        }
        if (Float.isNaN(eps)) throw bad("layer norm '" + n.name() + "': eps is not a constant");
        for (OnnxNode add : consumers.getOrDefault(out(n), List.of())) {
            if (!add.opType().equals("Add")) continue;
            for (String i : add.inputs()) {
                OnnxTensor b = model.initializers().get(i);
                if (b != null && b.dims().length == 1 && b.dims()[0] == hidden) return java.util.Optional.of(new BertWeights.LayerNorm(g.toFloats(), b.toFloats(), eps));
            }
        }
        throw bad("layer norm '" + n.name() + "': no bias added after the scale");
    }

    /** A Constant node's or an initializer's value as floats, or null. */
    private float[] constant(String name) {
        OnnxTensor t = model.initializers().get(name);
        OnnxNode p = producer.get(name);
        if (t == null && p != null && p.opType().equals("Constant") && p.attributes().containsKey("value")) t = p.attributes().get("value").t();
        if (t == null) return null;
        if (t.dataType() == OnnxTensor.FLOAT || t.dataType() == OnnxTensor.FLOAT16) return t.toFloats();
        long[] l = t.toLongs();
        float[] f = new float[l.length];
        for (int i = 0; i < l.length; i++) f[i] = l[i];
        return f;
    }

    /** "q", "k" or "v": follows a projection's output through Reshape/Transpose to the attention MatMuls. */
    private String attentionRole(String tensor) {
        for (int depth = 0; depth < 8; depth++) {
            List<OnnxNode> next = consumers.getOrDefault(tensor, List.of());
            OnnxNode step = null;
            for (OnnxNode n : next) {
                if (n.opType().equals("MatMul")) {
                    boolean left = in(n, 0).equals(tensor);
                    OnnxNode other = producer.get(in(n, 0));
                    if (!left && other != null && other.opType().equals("Softmax")) return "v";
                    return left ? "q" : "k";
                }
                if (n.opType().equals("Reshape") || n.opType().equals("Transpose")) step = n;
            }
            if (step == null) break;
            tensor = out(step);
        }
        throw bad("cannot follow '" + tensor + "' to an attention MatMul");
    }

    /** Heads: the constant in the shape the query projection is reshaped to ([batch, seq, heads, headDim]). */
    private int headsOf(String q, int hidden) {
        for (OnnxNode n : consumers.getOrDefault(q, List.of())) {
            if (!n.opType().equals("Reshape")) continue;
            List<Float> dims = new ArrayList<>();
            String shape = in(n, 1);
            float[] direct = constant(shape);
            if (direct != null) for (float d : direct) dims.add(d);
            OnnxNode concat = producer.get(shape);
            if (concat != null && concat.opType().equals("Concat"))
                for (String i : concat.inputs()) {
                    float[] c = constant(i);
                    if (c != null) for (float d : c) dims.add(d);
                }
            for (int i = 0; i + 1 < dims.size(); i++) {
                int h = Math.round(dims.get(i)), d = Math.round(dims.get(i + 1));
                if (h > 0 && d > 0 && h * d == hidden) return h;
            }
        }
        throw bad("cannot find the number of attention heads from the query reshape");
    }

    /** Input i of n, or "" (no tensor) when a malformed node has fewer inputs. */
    private static String in(OnnxNode n, int i) {
        return i < n.inputs().size() ? n.inputs().get(i) : "";
    }

    private static String out(OnnxNode n) {
        if (n.outputs().isEmpty()) throw bad("node '" + n.name() + "' (" + n.opType() + ") has no output");
        return n.outputs().get(0);
    }

    private static ModelFormatException bad(String what) {
        return new ModelFormatException("not a BERT encoder graph: " + what);
    }
}
