package dev.lowbit.hadamard;

/**
 * How a row is rotated: {@code y = s * H_n * D * x}, or its inverse {@code x = s' * D * H_n^T * y}.
 *
 * @param normalize   scale by {@code 1/sqrt(n)} (rounded to f32), making the rotation orthogonal; otherwise the
 *                    forward transform is unscaled and the inverse scales by {@code 1/n}
 * @param randomSigns multiply by the random +-1 diagonal {@code D} drawn from {@code seed} first (QuaRot /
 *                    SpinQuant); the same seed gives the same signs on every backend
 * @param seed        the signs' seed (ignored without {@code randomSigns})
 * @param inverse     undo the forward transform of the same options
 */
public record HadamardOptions(boolean normalize, boolean randomSigns, long seed, boolean inverse) {

    /** The plain Walsh–Hadamard transform: no scale, no signs. */
    public static HadamardOptions plain() {
        return new HadamardOptions(false, false, 0, false);
    }

    /** Orthonormal: scaled by {@code 1/sqrt(n)}. */
    public static HadamardOptions orthonormal() {
        return new HadamardOptions(true, false, 0, false);
    }

    /** Orthonormal with random signs from {@code seed}: the randomised Hadamard rotation of QuaRot. */
    public static HadamardOptions randomized(long seed) {
        return new HadamardOptions(true, true, seed, false);
    }

    /** The same rotation, undone. */
    public HadamardOptions inverted() {
        return new HadamardOptions(normalize, randomSigns, seed, !inverse);
    }
}
