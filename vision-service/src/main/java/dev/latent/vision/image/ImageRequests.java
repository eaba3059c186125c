package dev.latent.vision.image;

import dev.latent.ml.vision.RgbImage;
import dev.latent.support.problem.ProblemException;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the image fields of a request in any of the three shapes: multipart (a file part named
 * like the field), JSON with base64 in the field ({@code data:} URLs accepted), or JSON/multipart
 * with {@code <field>_url}. Decoding and fetching run on {@link VisionExecutor}.
 */
@Component
public class ImageRequests {

  private final ImageDecoder decoder;
  private final UrlFetcher fetcher;
  private final VisionExecutor executor;
  private final JsonMapper json;

  public ImageRequests(ImageDecoder decoder, UrlFetcher fetcher, VisionExecutor executor, JsonMapper json) {
    this.decoder = decoder;
    this.fetcher = fetcher;
    this.executor = executor;
    this.json = json;
  }

  public Mono<ImageForm> read(ServerWebExchange exchange, List<String> fields, boolean required) {
    MediaType type = exchange.getRequest().getHeaders().getContentType();
    Mono<Raw> raw = type != null && MediaType.MULTIPART_FORM_DATA.isCompatibleWith(type)
        ? multipart(exchange)
        : jsonBody(exchange);
    return raw.flatMap(r -> Flux.fromIterable(fields)
        .concatMap(f -> resolve(r, f).map(img -> Map.entry(f, img)))
        .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap<String, RgbImage>::new)
        .map(images -> {
          if (required) {
            fields.forEach(f -> new ImageForm(images, r.params()).image(f));
          }
          return new ImageForm(images, r.params());
        }));
  }

  private record Raw(Map<String, byte[]> files, Map<String, String> params) {}

  private Mono<RgbImage> resolve(Raw raw, String field) {
    byte[] file = raw.files().get(field);
    String inline = raw.params().get(field);
    String url = raw.params().get(field + "_url");
    if (file != null) {
      return executor.call(() -> decoder.decode(field, file));
    }
    if (inline != null) {
      return executor.call(() -> decoder.decode(field, base64(field, inline)));
    }
    if (url != null) {
      return executor.call(() -> decoder.decode(field, fetcher.fetch(field + "_url", url)));
    }
    return Mono.empty();
  }

  private static byte[] base64(String field, String value) {
    String data = value.startsWith("data:") && value.contains(",") ? value.substring(value.indexOf(',') + 1) : value;
    try {
      return Base64.getMimeDecoder().decode(data);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalidParameter(field, "Field '" + field + "' is not valid base64");
    }
  }

  private Mono<Raw> multipart(ServerWebExchange exchange) {
    return exchange.getMultipartData().flatMap(parts -> {
      Map<String, byte[]> files = new HashMap<>();
      Map<String, String> params = new HashMap<>();
      return Flux.fromIterable(parts.entrySet())
          .concatMap(e -> {
            Part part = e.getValue().getFirst();
            if (part instanceof FormFieldPart f) {
              params.put(e.getKey(), f.value());
              return Mono.empty();
            }
            if (part instanceof FilePart || part != null) {
              return DataBufferUtils.join(part.content()).map(buf -> {
                byte[] bytes = new byte[buf.readableByteCount()];
                buf.read(bytes);
                DataBufferUtils.release(buf);
                files.put(e.getKey(), bytes);
                return bytes;
              });
            }
            return Mono.empty();
          })
          .then(Mono.fromSupplier(() -> new Raw(files, params)));
    });
  }

  private Mono<Raw> jsonBody(ServerWebExchange exchange) {
    return DataBufferUtils.join(exchange.getRequest().getBody())
        .map(buf -> {
          byte[] bytes = new byte[buf.readableByteCount()];
          buf.read(bytes);
          DataBufferUtils.release(buf);
          return bytes;
        })
        .defaultIfEmpty(new byte[0])
        .map(bytes -> {
          Map<String, String> params = new HashMap<>();
          if (bytes.length == 0) {
            return new Raw(Map.of(), params);
          }
          JsonNode root;
          try {
            root = json.readTree(bytes);
          } catch (RuntimeException e) {
            throw ProblemException.badRequest("The request body is not valid JSON");
          }
          if (!root.isObject()) {
            throw ProblemException.badRequest("The request body must be a JSON object");
          }
          for (var entry : root.properties()) {
            JsonNode v = entry.getValue();
            if (v.isValueNode() && !v.isNull()) {
              params.put(entry.getKey(), v.asString());
            }
          }
          return new Raw(Map.of(), params);
        });
  }
}
