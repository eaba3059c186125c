package dev.latent.training.files;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Metadata of stored files (the bytes are on disk under {@link FilesProperties#dir}). */
@Repository
public class FileRepository {

  private final DatabaseClient db;

  public FileRepository(DatabaseClient db) {
    this.db = db;
  }

  public Mono<Void> insert(TrainingFile f) {
    return db.sql("insert into training_file (id, filename, purpose, format, bytes, line_count, created_at) "
            + "values (:id, :filename, :purpose, :format, :bytes, :lines, :created)")
        .bind("id", f.id()).bind("filename", f.filename()).bind("purpose", f.purpose())
        .bind("format", f.format()).bind("bytes", f.bytes()).bind("lines", f.lineCount())
        .bind("created", f.createdAt())
        .then();
  }

  public Mono<TrainingFile> find(String id) {
    return db.sql("select * from training_file where id = :id").bind("id", id).map(FileRepository::row).one();
  }

  public Flux<TrainingFile> list() {
    return db.sql("select * from training_file order by created_at desc, id").map(FileRepository::row).all();
  }

  public Mono<Long> delete(String id) {
    return db.sql("delete from training_file where id = :id").bind("id", id).fetch().rowsUpdated();
  }

  private static TrainingFile row(io.r2dbc.spi.Readable r) {
    return TrainingFile.of(r.get("id", String.class), r.get("bytes", Long.class), r.get("created_at", Long.class),
        r.get("filename", String.class), r.get("purpose", String.class), r.get("format", String.class),
        r.get("line_count", Integer.class));
  }
}
