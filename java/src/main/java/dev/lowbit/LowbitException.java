package dev.lowbit;

/**
 * A failure reported by the native library (its {@code lb_status} and {@code lb_last_error()} message)
 * or while loading it. Argument errors found in Java before any native call are
 * {@link IllegalArgumentException}s (bad shape, dtype, device, alignment) and
 * {@link IllegalStateException}s (closed memory).
 */
public class LowbitException extends RuntimeException {
    /** Status codes, mirroring {@code LB_ERR_*} in {@code lowbit.h}, plus Java-side load failures. */
    public enum Status {
        INVALID_ARGUMENT(1),
        UNSUPPORTED(2),
        OUT_OF_MEMORY(3),
        NO_CUDA(4),
        CUDA_ERROR(5),
        INTERNAL(6),
        /** The native library could not be found, loaded or matched to these bindings. */
        LOAD_FAILED(-1),
        /** A status code this version of the Java API does not know. */
        UNKNOWN(-2);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        public static Status of(int code) {
            for (Status s : values()) {
                if (s.code == code) return s;
            }
            return UNKNOWN;
        }
    }

    private final Status status;

    public LowbitException(Status status, String message) {
        super(message);
        this.status = status;
    }

    public LowbitException(Status status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public Status status() {
        return status;
    }
}
