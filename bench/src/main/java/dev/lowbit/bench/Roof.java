package dev.lowbit.bench;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Lowbit;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/**
 * The memory roofs later benchmarks divide by, measured in the same run:
 * <ul>
 *   <li>{@code hostCopy}: {@code lb_cpu_copy} between two buffers of {@code mib} MiB each, over all lowbit
 *       threads, with non-temporal stores from 32 MiB (as the kernels' own large outputs); the working set
 *       is far past this machine's caches.</li>
 *   <li>{@code hostRead}: both buffers read to the end (no writes), on as many threads: the read-only roof.</li>
 *   <li>{@code hostCopyJava}: {@link MemorySegment#copy} on one thread, for reference.</li>
 *   <li>{@code deviceCopy}: CUDA device-to-device copy of the same size (skipped without a GPU).</li>
 * </ul>
 * Each reports ops/s and, as the secondary metric {@code bytes}, (bytes read + bytes written) per
 * second: the convention of every memory-bound kernel benchmark, so {@code bench/report.py} can
 * divide a kernel's rate by the roof of the same run. {@code bench/native/mix_roof.c} measures what other
 * mixes (quantize's four bytes read per one written, dequantize's one per four, writes alone) reach beside
 * the same copy.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class Roof {
    @Param({"512"})
    public int mib;

    private Arena arena;
    private MemorySegment src, dst;
    private Tensor deviceSrc, deviceDst;
    private CudaStream stream;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        long bytes = (long) mib << 20;
        src = arena.allocate(bytes, 64);
        dst = arena.allocate(bytes, 64);
        src.fill((byte) 1);
        dst.fill((byte) 1);  // equal contents: hostRead compares them to the end
        if (Lowbit.cudaDeviceCount() > 0) {
            deviceSrc = Tensor.allocate(arena, DType.U8, Device.cuda(0), bytes);
            deviceDst = Tensor.allocate(arena, DType.U8, Device.cuda(0), bytes);
            stream = CudaStream.create(Device.cuda(0));
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (stream != null) stream.close();
        arena.close();
    }

    /** Bytes moved (read + write), reported by JMH as bytes per second. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public long bytes;
    }

    @Benchmark
    public void hostCopy(Traffic t) {
        Native.cpuCopy(dst, src, src.byteSize());
        t.bytes += 2 * src.byteSize();
    }

    /**
     * Read-only streams: {@link MemorySegment#mismatch} of the two equal buffers, split over lowbit's thread count of
     * Java threads — the JDK's vectorised comparison reads both to the end and writes nothing. The roof a weight-streaming
     * kernel (a GEMV) can at best reach; it counts bytes read.
     */
    @Benchmark
    public long hostRead(Traffic t) {
        int parts = Math.max(1, Lowbit.threads());
        long part = src.byteSize() / parts;
        long found = IntStream.range(0, parts).parallel()
                .mapToLong(i -> MemorySegment.mismatch(src, i * part, (i + 1) * part, dst, i * part, (i + 1) * part)).sum();
        t.bytes += 2 * parts * part;
        return found;
    }

    @Benchmark
    public void hostCopyJava(Traffic t) {
        MemorySegment.copy(src, 0, dst, 0, src.byteSize());
        t.bytes += 2 * src.byteSize();
    }

    @Benchmark
    public void deviceCopy(Traffic t) {
        if (stream == null) return; // no GPU: reported as a near-zero time, ignore it
        deviceDst.copyFrom(deviceSrc, stream);
        stream.synchronize();
        t.bytes += 2 * deviceSrc.byteSize();
    }
}
