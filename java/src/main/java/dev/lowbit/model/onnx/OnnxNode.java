package dev.lowbit.model.onnx;

import java.util.List;
import java.util.Map;

/** One ONNX graph node: operator, named inputs and outputs ("" for an omitted optional input), attributes. */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
    /** An attribute: the field that is set depends on the ONNX attribute type. */
    public record Attribute(String name, int type, float f, long i, String s, OnnxTensor t, float[] floats, long[] ints) {}

    public float floatAttribute(String key, float fallback) {
        Attribute a = attributes.get(key);
        return a == null ? fallback : a.f();
    }

    static Attribute readAttribute(ProtoReader r) {
        String name = "", s = null;
        int type = 0;
        float f = 0;
        long i = 0;
        OnnxTensor t = null;
        var floats = new OnnxTensor.FloatList();
        var ints = new OnnxTensor.LongList();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> f = r.float32();
                case 3 -> i = r.integer();
                case 4 -> s = r.string();
                case 5 -> t = OnnxTensor.read(r.message());
                case 7 -> {
                    if (r.wireType() == ProtoReader.LEN) {
                        var b = r.bytes();
                        while (b.remaining() >= 4) floats.add(b.getFloat());
                    } else {
                        floats.add(r.float32());
                    }
                }
                case 8 -> r.integers(ints::add);
                case 20 -> type = (int) r.integer();
                default -> r.skip();
            }
        }
        return new Attribute(name, type, f, i, s, t, floats.toArray(), ints.toArray());
    }
}
