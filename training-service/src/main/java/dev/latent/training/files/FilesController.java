package dev.latent.training.files;

import dev.latent.support.problem.ProblemException;
import java.util.List;
import org.springframework.core.io.FileSystemResource;
import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.util.MultiValueMap;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/** {@code /v1/files}: upload (multipart {@code file} + {@code purpose=fine-tune}), list, get, content, delete. */
@RestController
@RequestMapping("/v1/files")
public class FilesController {

  /** A list page in the OpenAI shape. */
  public record FileList(String object, List<TrainingFile> data) {}

  /** The answer to a delete. */
  public record Deleted(String id, String object, boolean deleted) {}

  private final FileStore store;
  private final FileRepository repository;

  public FilesController(FileStore store, FileRepository repository) {
    this.store = store;
    this.repository = repository;
  }

  @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
  public Mono<TrainingFile> upload(ServerWebExchange exchange) {
    return exchange.getMultipartData().flatMap(this::upload);
  }

  private Mono<TrainingFile> upload(MultiValueMap<String, Part> parts) {
    Part purpose = parts.getFirst("purpose");
    if (!(purpose instanceof FormFieldPart field) || !"fine-tune".equals(field.value())) {
      return Mono.error(ProblemException.invalidParameter("purpose", "purpose must be \"fine-tune\""));
    }
    if (!(parts.getFirst("file") instanceof FilePart file)) {
      return Mono.error(ProblemException.invalidParameter("file", "a multipart part \"file\" with the JSONL is required"));
    }
    String name = file.filename().isBlank() ? "upload.jsonl" : file.filename();
    return store.store(name, field.value(), file.content());
  }

  @GetMapping
  public Mono<FileList> list() {
    return repository.list().collectList().map(l -> new FileList("list", l));
  }

  @GetMapping("/{id}")
  public Mono<TrainingFile> get(@PathVariable String id) {
    return find(repository, id);
  }

  @GetMapping("/{id}/content")
  public Mono<ResponseEntity<Resource>> content(@PathVariable String id) {
    return find(repository, id).map(f -> ResponseEntity.ok()
        .contentType(MediaType.parseMediaType("application/jsonl"))
        .header("Content-Disposition", "attachment; filename=\"" + f.filename().replace("\"", "") + "\"")
        .body(new FileSystemResource(store.path(id))));
  }

  @DeleteMapping("/{id}")
  public Mono<Deleted> delete(@PathVariable String id) {
    return find(repository, id).flatMap(f -> store.delete(id)).thenReturn(new Deleted(id, "file", true));
  }

  /** The file or a 404 problem naming it. */
  public static Mono<TrainingFile> find(FileRepository repository, String id) {
    return repository.find(id).switchIfEmpty(Mono.error(
        ProblemException.notFound("file_not_found", "No file with id " + id).with("id", id)));
  }
}
