package dev.lowbit.model;

import dev.lowbit.LowbitException;

/** A model or tokenizer file that is corrupt, truncated, or not the kind of model expected. */
public final class ModelFormatException extends LowbitException {
    public ModelFormatException(String message) {
        super(Status.INVALID_ARGUMENT, message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(Status.INVALID_ARGUMENT, message, cause);
    }
}
