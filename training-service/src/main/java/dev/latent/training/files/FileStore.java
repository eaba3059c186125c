package dev.latent.training.files;

import dev.latent.support.problem.ProblemException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Stores uploads whole or not at all: bytes stream to a temp file in the same directory (counted
 * against the size limit), the JSONL is validated, the file is moved into place atomically, then
 * the metadata row is written; any failure removes what was written.
 */
@Service
public class FileStore {

  private final FilesProperties props;
  private final FileRepository repository;
  private final JsonlValidator validator;

  public FileStore(FilesProperties props, FileRepository repository) {
    this.props = props;
    this.repository = repository;
    this.validator = new JsonlValidator(props.maxLines());
  }

  public Path path(String id) {
    return props.dir().resolve(id + ".jsonl");
  }

  public Mono<TrainingFile> store(String filename, String purpose, Flux<DataBuffer> content) {
    String id = "file-" + UUID.randomUUID().toString().replace("-", "").substring(0, 24);
    long max = props.maxBytes().toBytes();
    return Mono.fromCallable(() -> {
          Files.createDirectories(props.dir());
          return Files.createTempFile(props.dir(), ".upload-", ".tmp");
        })
        .subscribeOn(Schedulers.boundedElastic())
        .flatMap(tmp -> {
          AtomicLong seen = new AtomicLong();
          Flux<DataBuffer> counted = content.doOnNext(b -> {
            if (seen.addAndGet(b.readableByteCount()) > max) {
              DataBufferUtils.release(b);
              throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "file-too-large",
                  "file is larger than " + max + " bytes (latent.training.files.max-bytes)", "file_too_large", "file");
            }
          });
          return DataBufferUtils.write(counted, tmp, StandardOpenOption.WRITE)
              .then(Mono.fromCallable(() -> {
                JsonlValidator.Summary summary = validator.validate(tmp);
                Files.move(tmp, path(id), StandardCopyOption.ATOMIC_MOVE);
                return TrainingFile.of(id, seen.get(), Instant.now().getEpochSecond(), filename, purpose,
                    summary.format().wireName(), summary.lines());
              }).subscribeOn(Schedulers.boundedElastic()))
              .flatMap(file -> repository.insert(file).thenReturn(file)
                  .onErrorResume(e -> deleteQuietly(path(id)).then(Mono.error(e))))
              .onErrorResume(e -> deleteQuietly(tmp).then(Mono.error(e)));
        });
  }

  public Mono<Void> delete(String id) {
    return repository.delete(id).then(deleteQuietly(path(id)));
  }

  private static Mono<Void> deleteQuietly(Path p) {
    return Mono.<Void>fromRunnable(() -> {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).subscribeOn(Schedulers.boundedElastic());
  }
}
