package dev.lowbit.model.onnx;

import dev.lowbit.model.ModelFormatException;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An ONNX TensorProto: an initializer or a Constant node's value. The data stays a slice of the
 * file (raw_data) or the decoded typed field until asked for as floats or longs.
 */
public record OnnxTensor(String name, int dataType, long[] dims, ByteBuffer raw, float[] floatData, long[] intData) {
    /** ONNX TensorProto.DataType values this reader converts. */
    public static final int FLOAT = 1, INT32 = 6, INT64 = 7, FLOAT16 = 10, DOUBLE = 11;

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            if (d < 0 || (d > 0 && n > Long.MAX_VALUE / d)) throw bad("dimension " + d);
            n *= d;
        }
        return n;
    }

    public float[] toFloats() {
        int n = count();
        if (dataType == FLOAT && raw != null) {
            expectBytes(n * 4L);
            float[] out = new float[n];
            raw.duplicate().order(raw.order()).asFloatBuffer().get(out);
            return out;
        }
        if (dataType == FLOAT && floatData != null) {
            if (floatData.length != n) throw bad(floatData.length + " float values for " + n + " elements");
            return floatData.clone();
        }
        if (dataType == FLOAT16 && raw != null) {
            expectBytes(n * 2L);
            float[] out = new float[n];
            for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(raw.getShort(i * 2));
            return out;
        }
        throw bad("data type " + dataType + " cannot be read as floats");
    }

    public long[] toLongs() {
        int n = count();
        if ((dataType == INT64 || dataType == INT32) && raw != null) {
            int width = dataType == INT64 ? 8 : 4;
            expectBytes((long) n * width);
            long[] out = new long[n];
            for (int i = 0; i < n; i++) out[i] = width == 8 ? raw.getLong(i * 8) : raw.getInt(i * 4);
            return out;
        }
        if ((dataType == INT64 || dataType == INT32) && intData != null) {
            if (intData.length != n) throw bad(intData.length + " integer values for " + n + " elements");
            return intData.clone();
        }
        throw bad("data type " + dataType + " cannot be read as integers");
    }

    private int count() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw bad(n + " elements");
        return (int) n;
    }

    private void expectBytes(long bytes) {
        if (raw.remaining() != bytes) throw bad(raw.remaining() + " bytes of data for " + bytes + " expected");
    }

    private ModelFormatException bad(String what) {
        return new ModelFormatException("ONNX tensor '" + name + "' " + Arrays.toString(dims) + ": " + what);
    }

    static OnnxTensor read(ProtoReader r) {
        String name = "";
        int type = 0;
        var dims = new LongList();
        var ints = new LongList();
        var floats = new FloatList();
        ByteBuffer raw = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.integers(dims::add);
                case 2 -> type = (int) r.integer();
                case 4 -> {  // float_data: packed fixed32, or one value
                    if (r.wireType() == ProtoReader.LEN) {
                        ByteBuffer b = r.bytes();
                        if (b.remaining() % 4 != 0) throw new ModelFormatException("ONNX tensor float_data of " + b.remaining() + " bytes");
                        while (b.hasRemaining()) floats.add(b.getFloat());
                    } else {
                        floats.add(r.float32());
                    }
                }
                case 5, 7 -> r.integers(ints::add);
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 13, 14 -> throw new ModelFormatException("ONNX tensor '" + name + "' keeps its data in an external file, which this reader does not load");
                default -> r.skip();
            }
        }
        return new OnnxTensor(name, type, dims.toArray(), raw, floats.size() == 0 ? null : floats.toArray(),
                ints.size() == 0 ? null : ints.toArray());
    }

    /** Growable primitive lists, so big tensors do not box. */
    static final class LongList {
        private long[] a = new long[8];
        private int n;

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() {
            return n;
        }

        long[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }

    static final class FloatList {
        private float[] a = new float[8];
        private int n;

        void add(float v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        int size() {
            return n;
        }

        float[] toArray() {
            return Arrays.copyOf(a, n);
        }
    }
}
