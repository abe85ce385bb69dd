package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Lowbit;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
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
import java.util.concurrent.TimeUnit;

/**
 * The convert kernels on the CPU. Memory-bound: {@code Roof.Traffic.bytes} counts bytes read + written,
 * so the reported rate compares directly with {@link Roof#hostCopy} from the same run. The default
 * 192 Mi elements make the working set 1.1-1.5 GiB, past every cache of the machine.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class ConvertBench {
    @Param({"F32>BF16", "F32>F16", "F16>F32", "F32>FP8_E4M3", "FP8_E4M3>F32"})
    public String pair;

    @Param({"AVX512", "AVX2", "SCALAR"})
    public String isa;

    @Param({"201326592"})
    public long elements;

    private Arena arena;
    private Tensor src, dst;

    @Setup(Level.Trial)
    public void setup() {
        Isa wanted = Isa.valueOf(isa);
        if (wanted.ordinal() > Lowbit.bestIsa().ordinal()) throw new IllegalStateException("this CPU cannot run " + wanted);
        Lowbit.setIsa(wanted);
        String[] types = pair.split(">");
        arena = Arena.ofShared();
        src = Tensor.allocate(arena, DType.valueOf(types[0]), Device.CPU, elements);
        dst = Tensor.allocate(arena, DType.valueOf(types[1]), Device.CPU, elements);
        src.segment().fill((byte) 0x3c); // finite, normal values in every format
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Lowbit.setIsa(Lowbit.bestIsa());
        arena.close();
    }

    @Benchmark
    public void convert(Roof.Traffic t) {
        Convert.convert(src, dst);
        t.bytes += src.byteSize() + dst.byteSize();
    }
}
