package dev.lowbit.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.InputStream;
import java.util.Map;

/** The peer: ONNX Runtime (fp32) running the same .onnx file, with the same pooling (mean, L2). */
final class OrtReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    OrtReference(String resource) throws Exception {
        try (InputStream in = OrtReference.class.getResourceAsStream(resource)) {
            session = env.createSession(in.readAllBytes(), new OrtSession.SessionOptions());
        }
    }

    float[] embed(int[] ids) throws OrtException {
        long[][] input = new long[1][ids.length], mask = new long[1][ids.length], types = new long[1][ids.length];
        for (int i = 0; i < ids.length; i++) {
            input[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, input); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            int d = h[0][0].length;
            double[] acc = new double[d];
            for (float[] row : h[0]) for (int j = 0; j < d; j++) acc[j] += row[j];
            double norm = 0;
            for (int j = 0; j < d; j++) norm += (acc[j] / ids.length) * (acc[j] / ids.length);
            float[] out = new float[d];
            for (int j = 0; j < d; j++) out[j] = (float) (acc[j] / ids.length / Math.sqrt(norm));
            return out;
        }
    }

    static double cosine(float[] a, float[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
