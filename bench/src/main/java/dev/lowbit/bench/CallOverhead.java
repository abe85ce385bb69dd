package dev.lowbit.bench;

import dev.lowbit.ffi.Native;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Cost of one Java→native call of a trivial function ({@code lb_abi_version}): through the jextract
 * handle (full thread-state transition) and through a {@code Linker.Option.critical} handle, next to
 * a Java-only baseline. Goal: under 100 ns per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class CallOverhead {
    private int javaValue = 1;

    @Benchmark
    public int javaBaseline() {
        return javaValue;
    }

    @Benchmark
    public int nativeCall() {
        return Native.abiVersion();
    }

    @Benchmark
    public int nativeCallCritical() {
        return Native.abiVersionCritical();
    }
}
