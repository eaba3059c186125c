package dev.latent.training.defaultmodel;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The default-model pipeline's side of the training-service's HTTP API: uploads a file, creates a
 * job and follows it (polling its status and newest event) until it finishes, finds the job that
 * made a model.
 */
final class JobsClient {

  /** A succeeded job: its id and {@code fine_tuned_model}. */
  record Finished(String id, String model) {}

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final String url;
  private final Consumer<String> say;
  private long pollMillis = 5000;

  JobsClient(String url, Consumer<String> say) {
    this.url = url.replaceAll("/$", "");
    this.say = say;
  }

  /** How often a running job is polled (tests poll fast). */
  JobsClient pollEvery(long millis) {
    this.pollMillis = millis;
    return this;
  }

  String upload(Path file) throws IOException, InterruptedException {
    String boundary = "latent" + System.nanoTime();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n"
        + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + file.getFileName()
        + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
    body.writeBytes(Files.readAllBytes(file));
    body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    JsonObject r = send(HttpRequest.newBuilder(URI.create(url + "/v1/files"))
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    say.accept("uploaded " + file.getFileName() + " as " + r.get("id").getAsString());
    return r.get("id").getAsString();
  }

  /** Creates a job, follows it until it finishes, returns its id and {@code fine_tuned_model}. */
  Finished job(String model, String trainingFile, String validationFile, String type, JsonObject hp,
      long seed, String suffix) throws IOException, InterruptedException {
    JsonObject method = new JsonObject();
    method.addProperty("type", type);
    JsonObject inner = new JsonObject();
    inner.add("hyperparameters", hp);
    method.add(type, inner);
    JsonObject req = new JsonObject();
    req.addProperty("model", model);
    req.addProperty("training_file", trainingFile);
    if (validationFile != null) {
      req.addProperty("validation_file", validationFile);
    }
    req.addProperty("suffix", suffix);
    req.addProperty("seed", seed);
    req.add("method", method);
    JsonObject job = send(HttpRequest.newBuilder(URI.create(url + "/v1/fine_tuning/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build());
    String id = job.get("id").getAsString();
    say.accept(type + " job " + id + " on " + model + " " + hp);
    String last = "";
    while (true) {
      Thread.sleep(pollMillis);
      job = get("/v1/fine_tuning/jobs/" + id);
      String status = job.get("status").getAsString();
      JsonArray data = get("/v1/fine_tuning/jobs/" + id + "/events?limit=1").getAsJsonArray("data");
      if (!data.isEmpty()) {
        JsonObject e = data.get(0).getAsJsonObject();
        String line = e.get("message").getAsString()
            + (e.has("data") && !e.get("data").isJsonNull() ? " " + e.get("data") : "");
        if (!line.equals(last)) {
          say.accept("  " + type + " " + status + ": " + line);
          last = line;
        }
      }
      switch (status) {
        case "succeeded" -> {
          String ft = job.get("fine_tuned_model").getAsString();
          say.accept(type + " succeeded: " + ft + " (" + job.get("trained_tokens") + " tokens)");
          return new Finished(id, ft);
        }
        case "failed", "cancelled" -> throw new IllegalStateException(type + " job " + id + " " + status + ": " + job.get("error"));
        default -> { }
      }
    }
  }

  /** The id of the newest of the last 100 jobs whose {@code fine_tuned_model} is {@code model}. */
  String jobThatMade(String model) throws IOException, InterruptedException {
    for (JsonElement e : get("/v1/fine_tuning/jobs?limit=100").getAsJsonArray("data")) {
      JsonObject j = e.getAsJsonObject();
      if (j.has("fine_tuned_model") && !j.get("fine_tuned_model").isJsonNull()
          && model.equals(j.get("fine_tuned_model").getAsString())) {
        return j.get("id").getAsString();
      }
    }
    throw new IllegalStateException("no job of the training-service made " + model);
  }

  private JsonObject get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(url + path)).GET().build());
  }

  private JsonObject send(HttpRequest request) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + r.statusCode() + ": " + r.body());
    }
    return JsonParser.parseString(r.body()).getAsJsonObject();
  }
}
