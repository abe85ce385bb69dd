package dev.lowbit.model.onnx;

import dev.lowbit.model.ModelFormatException;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model (ModelProto, field numbers from the public onnx.proto) that a runtime
 * needs to follow a graph: its nodes in order, its initializers by name, its inputs and outputs.
 * Tensor data stays in the file's buffer until converted.
 */
public final class OnnxModel {
    private final String producer;
    private final long opset;
    private final List<OnnxNode> nodes;
    private final Map<String, OnnxTensor> initializers;
    private final List<String> inputs, outputs;

    private OnnxModel(String producer, long opset, List<OnnxNode> nodes, Map<String, OnnxTensor> initializers,
                      List<String> inputs, List<String> outputs) {
        this.producer = producer;
        this.opset = opset;
        this.nodes = nodes;
        this.initializers = initializers;
        this.inputs = inputs;
        this.outputs = outputs;
    }

    /** Parses a whole .onnx file held in {@code file} (position .. limit). */
    public static OnnxModel read(ByteBuffer file) {
        ProtoReader model = new ProtoReader(file);
        String producer = "";
        long opset = -1;
        ProtoReader graph = null;
        while (model.next()) {
            switch (model.field()) {
                case 2 -> producer = model.string();
                case 7 -> graph = model.message();
                case 8 -> {  // opset_import: the default ("" or "ai.onnx") domain's version
                    ProtoReader o = model.message();
                    String domain = "";
                    long version = -1;
                    while (o.next()) {
                        if (o.field() == 1) domain = o.string();
                        else if (o.field() == 2) version = o.integer();
                        else o.skip();
                    }
                    if (domain.isEmpty() || domain.equals("ai.onnx")) opset = version;
                }
                default -> model.skip();
            }
        }
        if (graph == null) throw new ModelFormatException("not an ONNX model: no graph (field 7) in " + file.remaining() + " bytes");
        List<OnnxNode> nodes = new ArrayList<>();
        Map<String, OnnxTensor> inits = new LinkedHashMap<>();
        List<String> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        while (graph.next()) {
            switch (graph.field()) {
                case 1 -> nodes.add(readNode(graph.message()));
                case 5 -> {
                    OnnxTensor t = OnnxTensor.read(graph.message());
                    inits.put(t.name(), t);
                }
                case 11 -> inputs.add(valueName(graph.message()));
                case 12 -> outputs.add(valueName(graph.message()));
                default -> graph.skip();
            }
        }
        if (nodes.isEmpty()) throw new ModelFormatException("ONNX graph has no nodes");
        inputs.removeAll(inits.keySet());  // old exporters list initializers as inputs too
        return new OnnxModel(producer, opset, List.copyOf(nodes), Collections.unmodifiableMap(inits), List.copyOf(inputs),
                List.copyOf(outputs));
    }

    private static OnnxNode readNode(ProtoReader r) {
        String name = "", op = "";
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        Map<String, OnnxNode.Attribute> attrs = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 5 -> {
                    OnnxNode.Attribute a = OnnxNode.readAttribute(r.message());
                    attrs.put(a.name(), a);
                }
                default -> r.skip();
            }
        }
        if (op.isEmpty()) throw new ModelFormatException("ONNX node '" + name + "' has no op_type");
        return new OnnxNode(name, op, List.copyOf(in), List.copyOf(out), Collections.unmodifiableMap(attrs));
    }

    private static String valueName(ProtoReader r) {
        String name = "";
        while (r.next()) {
            if (r.field() == 1) name = r.string();
            else r.skip();
        }
        return name;
    }

    public String producer() {
        return producer;
    }

    public long opset() {
        return opset;
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    /** Graph inputs that are not initializers (what a caller feeds). */
    public List<String> inputs() {
        return inputs;
    }

    public List<String> outputs() {
        return outputs;
    }
}
