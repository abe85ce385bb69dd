package dev.lowbit;

import dev.lowbit.ffi.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * An n-dimensional array: memory ({@link MemorySegment}) + {@link DType} + shape + strides + {@link Device}.
 *
 * <p>Memory is owned by an {@link Arena} (freed when the arena closes; CUDA memory too) or, for tensors
 * from {@link #allocate(DType, Device, long...)}, by the tensor itself ({@link #close()}). Every use of
 * a tensor whose memory is gone throws {@link IllegalStateException} instead of touching freed memory.
 *
 * <p>Strides are in elements. Views ({@link #slice}, {@link #reshape}) share memory with their source.
 * Packed 4-bit types ({@link DType#I4}, {@link DType#U4}) keep rows byte-aligned: their last dimension
 * must be even, contiguous, and sliced at even positions.
 *
 * <p>CUDA tensors' memory is not addressable from Java: {@link #segment()} is then a zero-length
 * segment holding the device address (reading it throws, never crashes). Copy to the CPU to read.
 */
public final class Tensor implements AutoCloseable {
    /** Host allocations are aligned for the widest vector loads (AVX-512, one cache line). */
    public static final long HOST_ALIGNMENT = 64;

    private final MemorySegment storage;
    private final long offset; // in elements (even for packed types)
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final Device device;
    private final Arena owned; // non-null when close() frees the memory

    private Tensor(MemorySegment storage, long offset, DType dtype, long[] shape, long[] strides, Device device, Arena owned) {
        this.storage = storage;
        this.offset = offset;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.device = device;
        this.owned = owned;
    }

    // ---------------------------------------------------------------- creation

    /** A zero-filled contiguous tensor in {@code arena}'s lifetime, on the CPU or a CUDA device. */
    public static Tensor allocate(Arena arena, DType dtype, Device device, long... shape) {
        Objects.requireNonNull(arena, "arena");
        return allocate(arena, null, dtype, device, shape);
    }

    /** A zero-filled contiguous tensor that owns its memory: {@link #close()} frees it. */
    public static Tensor allocate(DType dtype, Device device, long... shape) {
        Arena arena = Arena.ofShared();
        try {
            return allocate(arena, arena, dtype, device, shape);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Tensor allocate(Arena arena, Arena owned, DType dtype, Device device, long[] shape) {
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(device, "device");
        long[] s = checkShape(dtype, shape);
        long bytes = dtype.byteSize(numel(s));
        MemorySegment storage;
        if (device.isCpu()) {
            storage = arena.allocate(bytes, HOST_ALIGNMENT);
        } else if (bytes == 0) {
            storage = MemorySegment.NULL.reinterpret(0, arena, null);
        } else {
            int dev = device.index();
            long address = Native.cudaMalloc(dev, bytes);
            storage = MemorySegment.ofAddress(address).reinterpret(bytes, arena, seg -> freeQuietly(dev, seg.address()));
            Native.cudaMemset(dev, MemorySegment.ofAddress(address), 0, bytes, MemorySegment.NULL);
        }
        return new Tensor(storage, 0, dtype, s, contiguousStrides(s), device, owned);
    }

    private static void freeQuietly(int device, long address) {
        try {
            Native.cudaFree(device, address);
        } catch (LowbitException e) {
            // Runs from Arena.close(): nothing useful to do with a failure of cudaFree here.
        }
    }

    /**
     * A CPU tensor over existing memory (contiguous, row-major). The segment must be native (not a
     * heap array), alive, aligned to {@link DType#alignment()} and at least as large as the shape needs.
     */
    public static Tensor wrap(MemorySegment segment, DType dtype, long... shape) {
        Objects.requireNonNull(segment, "segment");
        Objects.requireNonNull(dtype, "dtype");
        long[] s = checkShape(dtype, shape);
        if (!segment.isNative()) {
            throw new IllegalArgumentException("segment is a heap segment: native kernels cannot use Java heap memory; "
                    + "allocate it with an Arena (or use Tensor.of, which copies)");
        }
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("segment is closed: the Arena that owns it was closed");
        }
        long need = dtype.byteSize(numel(s));
        if (segment.byteSize() < need) {
            throw new IllegalArgumentException("segment has " + segment.byteSize() + " bytes but shape "
                    + Arrays.toString(s) + " of " + dtype + " needs " + need);
        }
        if (segment.address() % dtype.alignment() != 0) {
            throw new IllegalArgumentException("segment address 0x" + Long.toHexString(segment.address())
                    + " is not aligned to " + dtype.alignment() + " bytes as " + dtype + " requires");
        }
        return new Tensor(segment, 0, dtype, s, contiguousStrides(s), Device.CPU, null);
    }

    /** A CPU {@link DType#F32} tensor holding a copy of {@code values}. */
    public static Tensor of(Arena arena, float[] values, long... shape) {
        Tensor t = allocateFor(arena, DType.F32, values.length, shape);
        MemorySegment.copy(values, 0, t.storage, ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    /** A CPU {@link DType#I32} tensor holding a copy of {@code values}. */
    public static Tensor of(Arena arena, int[] values, long... shape) {
        Tensor t = allocateFor(arena, DType.I32, values.length, shape);
        MemorySegment.copy(values, 0, t.storage, ValueLayout.JAVA_INT, 0, values.length);
        return t;
    }

    /** A CPU {@link DType#F16} or {@link DType#BF16} tensor holding a copy of the raw 16-bit patterns. */
    public static Tensor ofBits(Arena arena, DType dtype, short[] bits, long... shape) {
        if (dtype != DType.F16 && dtype != DType.BF16) {
            throw new IllegalArgumentException("ofBits takes F16 or BF16, got " + dtype);
        }
        Tensor t = allocateFor(arena, dtype, bits.length, shape);
        MemorySegment.copy(bits, 0, t.storage, ValueLayout.JAVA_SHORT, 0, bits.length);
        return t;
    }

    /** A CPU tensor of a byte-sized or packed dtype holding a copy of the raw bytes (packed: two elements a byte). */
    public static Tensor ofBytes(Arena arena, DType dtype, byte[] bytes, long... shape) {
        if (dtype.bits() > 8) throw new IllegalArgumentException("ofBytes takes 8- or 4-bit dtypes, got " + dtype);
        long[] s = checkShape(dtype, shape);
        if (dtype.byteSize(numel(s)) != bytes.length) {
            throw new IllegalArgumentException(bytes.length + " bytes given but shape " + Arrays.toString(s) + " of "
                    + dtype + " needs " + dtype.byteSize(numel(s)));
        }
        Tensor t = allocate(arena, dtype, Device.CPU, s);
        MemorySegment.copy(bytes, 0, t.storage, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return t;
    }

    private static Tensor allocateFor(Arena arena, DType dtype, int length, long[] shape) {
        long[] s = checkShape(dtype, shape);
        if (numel(s) != length) {
            throw new IllegalArgumentException(length + " values given but shape " + Arrays.toString(s) + " holds " + numel(s));
        }
        return allocate(arena, dtype, Device.CPU, s);
    }

    // ---------------------------------------------------------------- properties

    public DType dtype() {
        return dtype;
    }

    public Device device() {
        return device;
    }

    public int rank() {
        return shape.length;
    }

    public long[] shape() {
        return shape.clone();
    }

    public long dim(int i) {
        return shape[checkDim(i)];
    }

    /** Strides in elements. */
    public long[] strides() {
        return strides.clone();
    }

    public long numel() {
        return numel(shape);
    }

    /** Bytes the elements occupy when contiguous. */
    public long byteSize() {
        return dtype.byteSize(numel());
    }

    /** False once the memory is freed (arena closed or tensor closed). */
    public boolean isAlive() {
        return storage.scope().isAlive();
    }

    /** True if the elements are laid out row-major without gaps. */
    public boolean isContiguous() {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /** True if the memory cannot be written (a read-only segment was wrapped). */
    public boolean isReadOnly() {
        return storage.isReadOnly();
    }

    /**
     * The memory from the first element on. CPU: a segment spanning every element of this view.
     * CUDA: a zero-length segment at the device address (not readable from Java).
     */
    public MemorySegment segment() {
        checkAlive("tensor");
        long start = dtype.byteSize(offset);
        if (device.isCuda()) return MemorySegment.ofAddress(storage.address() + start);
        return storage.asSlice(start, spanBytes());
    }

    /** Bytes from the first to the last element of this view, inclusive. */
    long spanBytes() {
        if (numel() == 0) return 0;
        long last = 0;
        for (int i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
        return dtype.byteSize(last + 1);
    }

    /** Address of the first element (host or device), for overlap checks. */
    long address() {
        return storage.address() + dtype.byteSize(offset);
    }

    // ---------------------------------------------------------------- views

    /** Elements {@code start} (inclusive) to {@code end} (exclusive) along dimension {@code dim}; shares memory. */
    public Tensor slice(int dim, long start, long end) {
        checkAlive("tensor");
        int d = checkDim(dim);
        if (start < 0 || end < start || end > shape[d]) {
            throw new IndexOutOfBoundsException("slice [" + start + ", " + end + ") of dimension " + d + " with size " + shape[d]);
        }
        long newOffset = offset + start * strides[d];
        if (dtype.isPacked() && (newOffset % 2 != 0 || (d == shape.length - 1 && (end - start) % 2 != 0))) {
            throw new IllegalArgumentException(dtype + " packs two elements per byte: slices must start at an even "
                    + "element and keep the last dimension even, got [" + start + ", " + end + ") of dimension " + d);
        }
        long[] s = shape.clone();
        s[d] = end - start;
        return new Tensor(storage, newOffset, dtype, s, strides.clone(), device, null);
    }

    /** The same contiguous elements under another shape with the same element count; shares memory. */
    public Tensor reshape(long... newShape) {
        checkAlive("tensor");
        long[] s = checkShape(dtype, newShape);
        if (numel(s) != numel()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " (" + numel() + " elements) to "
                    + Arrays.toString(s) + " (" + numel(s) + " elements)");
        }
        if (!isContiguous()) throw new IllegalArgumentException("reshape needs a contiguous tensor; this view has strides " + Arrays.toString(strides));
        return new Tensor(storage, offset, dtype, s, contiguousStrides(s), device, null);
    }

    /**
     * This contiguous tensor's leading bytes read as another dtype and shape (like PyTorch's {@code view(dtype)});
     * shares memory, on any device. For reusable scratch buffers that hold different dtypes over time.
     */
    public Tensor view(DType newDtype, long... newShape) {
        checkAlive("tensor");
        Objects.requireNonNull(newDtype, "dtype");
        if (!isContiguous()) throw new IllegalArgumentException("view needs a contiguous tensor; this view has strides " + Arrays.toString(strides));
        long[] s = checkShape(newDtype, newShape);
        long need = newDtype.byteSize(numel(s)), have = byteSize(), byteOffset = dtype.byteSize(offset);
        if (need > have) {
            throw new IllegalArgumentException("a " + newDtype + " view of shape " + Arrays.toString(s) + " needs " + need + " bytes; this tensor has "
                    + have);
        }
        if (byteOffset % newDtype.alignment() != 0) {
            throw new IllegalArgumentException("this tensor starts " + byteOffset + " bytes into its memory, not aligned to " + newDtype.alignment()
                    + " bytes as " + newDtype + " requires");
        }
        long newOffset = newDtype.isPacked() ? byteOffset * 2 : byteOffset / newDtype.byteSize(1);
        return new Tensor(storage, newOffset, newDtype, s, contiguousStrides(s), device, null);
    }

    // ---------------------------------------------------------------- copies

    /** Copies {@code src} (same dtype and shape, both contiguous) into this tensor, across devices if needed. */
    public void copyFrom(Tensor src) {
        copyFrom(src, null);
    }

    /**
     * Like {@link #copyFrom(Tensor)}, asynchronously on {@code stream} (which must belong to the CUDA side of
     * the copy). Host memory should then stay untouched until the stream is synchronized.
     */
    public void copyFrom(Tensor src, CudaStream stream) {
        Objects.requireNonNull(src, "src");
        Checks.live("src", src);
        Checks.live("dst", this);
        Checks.writable("dst", this);
        Checks.sameDType("src", src, "dst", this);
        Checks.sameShape("src", src, "dst", this);
        Checks.contiguous("src", src);
        Checks.contiguous("dst", this);
        long bytes = byteSize();
        if (device.isCpu() && src.device.isCpu()) {
            if (stream != null) throw new IllegalArgumentException("stream: a CUDA stream was given for a CPU-to-CPU copy");
            Native.cpuCopy(segment(), src.segment(), bytes);
            return;
        }
        if (device.isCuda() && src.device.isCuda() && !device.equals(src.device)) {
            throw new IllegalArgumentException("copy from " + src.device + " to " + device
                    + ": copies between two CUDA devices are not supported yet; copy through the CPU");
        }
        Device cuda = device.isCuda() ? device : src.device;
        MemorySegment s = Checks.stream(stream, cuda);
        int kind = device.isCpu() ? Native.copyDeviceToHost()
                : src.device.isCpu() ? Native.copyHostToDevice() : Native.copyDeviceToDevice();
        Native.cudaMemcpy(cuda.index(), segment(), src.segment(), bytes, kind, s);
    }

    /** A contiguous copy of this tensor on {@code target}, owned by {@code arena}. */
    public Tensor to(Device target, Arena arena) {
        Checks.live("tensor", this);
        Checks.contiguous("tensor", this);
        Tensor t = allocate(arena, dtype, target, shape);
        t.copyFrom(this);
        return t;
    }

    /** The elements of a CPU {@link DType#F32} tensor, row-major. */
    public float[] toFloatArray() {
        return (float[]) toArray(DType.F32, ValueLayout.JAVA_FLOAT, new float[Math.toIntExact(numel())]);
    }

    /** The elements of a CPU {@link DType#I32} tensor, row-major. */
    public int[] toIntArray() {
        return (int[]) toArray(DType.I32, ValueLayout.JAVA_INT, new int[Math.toIntExact(numel())]);
    }

    /** The raw 16-bit patterns of a CPU {@link DType#F16} or {@link DType#BF16} tensor, row-major. */
    public short[] toShortArray() {
        DType want = dtype == DType.BF16 ? DType.BF16 : DType.F16;
        return (short[]) toArray(want, ValueLayout.JAVA_SHORT, new short[Math.toIntExact(numel())]);
    }

    /** The raw bytes of a CPU tensor of an 8- or 4-bit dtype (packed: two elements a byte). */
    public byte[] toByteArray() {
        if (dtype.bits() > 8) throw new IllegalArgumentException("toByteArray needs an 8- or 4-bit dtype, tensor is " + dtype);
        return (byte[]) toArray(dtype, ValueLayout.JAVA_BYTE, new byte[Math.toIntExact(byteSize())]);
    }

    private Object toArray(DType want, ValueLayout layout, Object array) {
        Checks.live("tensor", this);
        Checks.dtype("tensor", this, want);
        if (device.isCuda()) {
            throw new IllegalArgumentException("tensor is on " + device + ": copy it to the CPU first (to(Device.CPU, arena))");
        }
        Checks.contiguous("tensor", this);
        MemorySegment.copy(segment(), layout, 0, array, 0, java.lang.reflect.Array.getLength(array));
        return array;
    }

    /** Frees the memory of a tensor made by {@link #allocate(DType, Device, long...)}; no-op for arena-owned tensors and views. */
    @Override
    public void close() {
        if (owned != null && owned.scope().isAlive()) owned.close();
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + " on " + device + (isContiguous() ? "" : " strides " + Arrays.toString(strides))
                + (isAlive() ? "" : " (closed)") + "]";
    }

    // ---------------------------------------------------------------- checks

    void checkAlive(String name) {
        if (!storage.scope().isAlive()) {
            throw new IllegalStateException(name + " is closed: the memory of " + describe() + " was freed (its Arena or the tensor was closed)");
        }
        if (!storage.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalStateException(name + " belongs to a confined Arena of another thread; use Arena.ofShared() to share tensors between threads");
        }
    }

    String describe() {
        return dtype + " " + Arrays.toString(shape) + " on " + device;
    }

    private int checkDim(int i) {
        if (i < 0 || i >= shape.length) throw new IndexOutOfBoundsException("dimension " + i + " of a rank-" + shape.length + " tensor");
        return i;
    }

    private static long[] checkShape(DType dtype, long[] shape) {
        Objects.requireNonNull(shape, "shape");
        if (shape.length == 0) throw new IllegalArgumentException("shape must have at least one dimension");
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension " + i);
            try {
                n = Math.multiplyExact(n, shape[i]);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than 2^63 elements");
            }
        }
        if (dtype.isPacked() && shape[shape.length - 1] % 2 != 0) {
            throw new IllegalArgumentException(dtype + " packs two elements per byte: the last dimension must be even, got shape "
                    + Arrays.toString(shape));
        }
        return shape.clone();
    }

    private static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    private static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long stride = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = stride;
            stride *= shape[i];
        }
        return s;
    }
}
