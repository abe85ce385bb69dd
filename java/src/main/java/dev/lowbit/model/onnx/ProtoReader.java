package dev.lowbit.model.onnx;

import dev.lowbit.model.ModelFormatException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Reads protobuf wire format (the encoding of .onnx files) from a buffer: one message at a time,
 * field by field. Every length and varint is bounds-checked, so a corrupt or truncated file ends
 * in a {@link ModelFormatException} naming the byte offset, never in an out-of-bounds access.
 * Only what ONNX uses is supported: varint, 64-bit, length-delimited and 32-bit fields.
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private final ByteBuffer buf;  // little-endian view; position() is where the next field starts
    private final int end;
    private int field, wireType;

    /** Reads buf's remaining bytes (position .. limit) as one message. */
    ProtoReader(ByteBuffer buf) {
        this.buf = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        this.end = this.buf.limit();
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (buf.position() >= end) return false;
        long key = varint();
        field = (int) (key >>> 3);
        wireType = (int) (key & 7);
        if (field == 0 || key >>> 3 > Integer.MAX_VALUE) throw corrupt("field number " + (key >>> 3));
        if (wireType != VARINT && wireType != FIXED64 && wireType != LEN && wireType != FIXED32)
            throw corrupt("wire type " + wireType + " of field " + field);
        return true;
    }

    int field() {
        return field;
    }

    int wireType() {
        return wireType;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (buf.position() >= end) throw corrupt("truncated varint");
            int b = buf.get() & 0xff;
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw corrupt("varint longer than 10 bytes");
    }

    /** The current field's value as a 64-bit integer (varint, or fixed-width). */
    long integer() {
        return switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> need(8).getLong();
            case FIXED32 -> need(4).getInt();
            default -> throw corrupt("field " + field + " is length-delimited, expected a number");
        };
    }

    float float32() {
        if (wireType != FIXED32) throw corrupt("field " + field + " is not a 32-bit float");
        return need(4).getFloat();
    }

    /** The current length-delimited field's bytes, as a little-endian slice of the file. */
    ByteBuffer bytes() {
        if (wireType != LEN) throw corrupt("field " + field + " is not length-delimited");
        long n = varint();
        if (n < 0 || n > end - buf.position()) throw corrupt("field " + field + " claims " + n + " bytes, " + (end - buf.position()) + " remain");
        ByteBuffer s = buf.slice(buf.position(), (int) n).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + (int) n);
        return s;
    }

    String string() {
        ByteBuffer b = bytes();
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return new String(a, StandardCharsets.UTF_8);
    }

    ProtoReader message() {
        return new ProtoReader(bytes());
    }

    /**
     * A repeated scalar field, packed (one length-delimited run) or not (this one value): calls
     * sink for each value read as an integer.
     */
    void integers(java.util.function.LongConsumer sink) {
        if (wireType != LEN) {
            sink.accept(integer());
            return;
        }
        ProtoReader packed = new ProtoReader(bytes());
        while (packed.buf.position() < packed.end) sink.accept(packed.varint());
    }

    void skip() {
        switch (wireType) {
            case VARINT -> varint();
            case FIXED64 -> need(8);
            case FIXED32 -> need(4);
            default -> bytes();
        }
    }

    private ByteBuffer need(int n) {
        if (end - buf.position() < n) throw corrupt("truncated field " + field);
        ByteBuffer b = buf.slice(buf.position(), n).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(buf.position() + n);
        return b;
    }

    private ModelFormatException corrupt(String what) {
        return new ModelFormatException("corrupt ONNX protobuf at byte " + buf.position() + " of a " + end + "-byte message: " + what);
    }
}
