package dev.latent.ml.vision;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An ONNX file on DJL's OnnxRuntime engine, called with float tensors and answering named float
 * tensors. ONNX Runtime sessions are thread-safe; each call uses its own predictor and NDManager.
 */
public final class OnnxModel implements AutoCloseable {

  /** One output tensor, copied out of native memory. */
  public record Output(String name, long[] shape, float[] values) {}

  private final ZooModel<NDList, NDList> model;

  private OnnxModel(ZooModel<NDList, NDList> model) {
    this.model = model;
  }

  public static OnnxModel load(Path file) throws IOException {
    try {
      return new OnnxModel(Criteria.builder()
          .setTypes(NDList.class, NDList.class)
          .optModelPath(file)
          .optEngine("OnnxRuntime")
          .optTranslator(new NoopTranslator())
          .build()
          .loadModel());
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IOException("cannot load ONNX model " + file + ": " + e.getMessage(), e);
    }
  }

  /** Runs the model on one float input of the given shape. */
  public List<Output> run(float[] input, long... shape) {
    try (NDManager manager = model.getNDManager().newSubManager();
        Predictor<NDList, NDList> predictor = model.newPredictor()) {
      NDArray in = manager.create(input, new Shape(shape));
      NDList out = predictor.predict(new NDList(in));
      List<Output> result = new ArrayList<>(out.size());
      for (NDArray a : out) {
        result.add(new Output(a.getName() == null ? "" : a.getName(), a.getShape().getShape(), a.toFloatArray()));
      }
      out.close();
      return result;
    } catch (TranslateException e) {
      throw new IllegalStateException("ONNX inference failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    model.close();
  }
}
