package dev.lowbit;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Argument checks every kernel entry point runs before its downcall. Each names the argument and
 * says what was expected, so a caller reads what is wrong without looking at native code.
 */
public final class Checks {
    private Checks() {}

    /** The tensor is non-null, its memory alive and usable from this thread. */
    public static void live(String name, Tensor t) {
        if (t == null) throw new NullPointerException(name + " is null");
        t.checkAlive(name);
    }

    public static void dtype(String name, Tensor t, DType... allowed) {
        for (DType d : allowed) {
            if (t.dtype() == d) return;
        }
        throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected "
                + (allowed.length == 1 ? allowed[0] : "one of " + Arrays.toString(allowed)));
    }

    public static void contiguous(String name, Tensor t) {
        if (!t.isContiguous()) {
            throw new IllegalArgumentException(name + " must be contiguous (row-major, no gaps), but has shape "
                    + Arrays.toString(t.shape()) + " with strides " + Arrays.toString(t.strides()));
        }
    }


    /**
     * An operand of an F32 kernel (attention, layer norm, GELU) that runs on {@code device} (the device of its first
     * operand): F32, contiguous, on that device.
     */
    public static void f32On(String name, Tensor t, Device device) {
        dtype(name, t, DType.F32);
        contiguous(name, t);
        if (!t.device().equals(device)) {
            throw new IllegalArgumentException(name + " is on " + t.device() + " but this call runs on " + device
                    + " (the device of its first operand): all operands must be on one device");
        }
    }

    public static void writable(String name, Tensor t) {
        if (t.isReadOnly()) throw new IllegalArgumentException(name + " is read-only but is written to");
    }

    public static void sameDevice(String a, Tensor ta, String b, Tensor tb) {
        if (!ta.device().equals(tb.device())) {
            throw new IllegalArgumentException(a + " is on " + ta.device() + " but " + b + " is on " + tb.device()
                    + ": both must be on the same device");
        }
    }

    public static void sameShape(String a, Tensor ta, String b, Tensor tb) {
        if (!Arrays.equals(ta.shape(), tb.shape())) {
            throw new IllegalArgumentException(a + " has shape " + Arrays.toString(ta.shape()) + " but " + b + " has shape "
                    + Arrays.toString(tb.shape()) + ": they must match");
        }
    }

    public static void sameDType(String a, Tensor ta, String b, Tensor tb) {
        if (ta.dtype() != tb.dtype()) {
            throw new IllegalArgumentException(a + " has dtype " + ta.dtype() + " but " + b + " has dtype " + tb.dtype()
                    + ": they must match");
        }
    }

    /**
     * Output {@code out} must not overlap input {@code in}, except as the exact same memory when
     * {@code inPlaceOk} (an elementwise kernel whose element sizes match).
     */
    public static void noOverlap(String in, Tensor tin, String out, Tensor tout, boolean inPlaceOk) {
        if (!tin.device().equals(tout.device())) return;
        long a = tin.address(), aEnd = a + tin.spanBytes();
        long b = tout.address(), bEnd = b + tout.spanBytes();
        if (aEnd <= b || bEnd <= a || tin.numel() == 0 || tout.numel() == 0) return;
        if (inPlaceOk && a == b && aEnd == bEnd) return;
        throw new IllegalArgumentException(out + " overlaps " + in + (inPlaceOk
                ? ": in-place is allowed only on exactly the same memory with equal element sizes" : ": it must be separate memory"));
    }

    /**
     * Stacked sequences' row offsets (attention, embedding lookup and pooling): at least one sequence, from 0 to
     * {@code tokens}, none empty, none longer than {@code maxLength}.
     */
    public static void sequenceStarts(long[] seqStarts, long tokens, long maxLength) {
        if (seqStarts == null) throw new NullPointerException("seqStarts is null");
        if (seqStarts.length < 2 || seqStarts[0] != 0 || seqStarts[seqStarts.length - 1] != tokens)
            throw new IllegalArgumentException("seqStarts must run from 0 to tokens = " + tokens + " with at least one sequence, got "
                    + Arrays.toString(Arrays.copyOf(seqStarts, Math.min(8, seqStarts.length))) + (seqStarts.length > 8 ? "..." : ""));
        for (int s = 0; s + 1 < seqStarts.length; s++) {
            if (seqStarts[s + 1] <= seqStarts[s])
                throw new IllegalArgumentException("sequence " + s + " is empty or seqStarts descends: " + seqStarts[s] + " -> " + seqStarts[s + 1]);
            if (seqStarts[s + 1] - seqStarts[s] > maxLength)
                throw new IllegalArgumentException("sequence " + s + " has " + (seqStarts[s + 1] - seqStarts[s]) + " rows, more than " + maxLength);
        }
    }

    /**
     * The native stream argument for an operation on {@code device}: NULL for none; otherwise the stream,
     * which must be open and belong to that CUDA device.
     */
    public static MemorySegment stream(CudaStream stream, Device device) {
        if (stream == null) return MemorySegment.NULL;
        if (device.isCpu()) throw new IllegalArgumentException("stream: a CUDA stream was given for a CPU operation");
        if (!stream.device().equals(device)) {
            throw new IllegalArgumentException("stream belongs to " + stream.device() + " but the operation runs on " + device);
        }
        return stream.handle();
    }
}
