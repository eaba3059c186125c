package dev.latent.vision.collections;

import dev.latent.support.problem.ProblemException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The collection tables, through {@link DatabaseClient} (plain SQL that H2 and PostgreSQL share). */
@Component
class FaceCollections {

  record Collection(String id, String name, long createdAt) {}

  record Example(String id, String subject, float[] descriptor) {}

  private final DatabaseClient db;

  FaceCollections(DatabaseClient db) {
    this.db = db;
  }

  Mono<Collection> create(String name) {
    var c = new Collection("col_" + UUID.randomUUID().toString().replace("-", ""), name, System.currentTimeMillis());
    return db.sql("INSERT INTO face_collection (id, name, created_at) VALUES (:id, :name, :created)")
        .bind("id", c.id()).bind("name", c.name()).bind("created", c.createdAt())
        .fetch().rowsUpdated().thenReturn(c);
  }

  Flux<Collection> list() {
    return db.sql("SELECT id, name, created_at FROM face_collection ORDER BY created_at, id")
        .map((row, meta) -> new Collection(row.get("id", String.class), row.get("name", String.class),
            row.get("created_at", Long.class)))
        .all();
  }

  Mono<Collection> get(String id) {
    return db.sql("SELECT id, name, created_at FROM face_collection WHERE id = :id").bind("id", id)
        .map((row, meta) -> new Collection(row.get("id", String.class), row.get("name", String.class),
            row.get("created_at", Long.class)))
        .one()
        .switchIfEmpty(Mono.error(() -> ProblemException.notFound("collection_not_found",
            "No collection with id '" + id + "'")));
  }

  Mono<Void> delete(String id) {
    return get(id).then(db.sql("DELETE FROM face_example WHERE collection_id = :id").bind("id", id).then())
        .then(db.sql("DELETE FROM face_collection WHERE id = :id").bind("id", id).then());
  }

  Mono<String> addExample(String collectionId, String subject, float[] descriptor) {
    String id = "face_" + UUID.randomUUID().toString().replace("-", "");
    return db.sql("INSERT INTO face_example (id, collection_id, subject, descriptor, created_at)"
            + " VALUES (:id, :c, :s, :d, :t)")
        .bind("id", id).bind("c", collectionId).bind("s", subject).bind("d", encode(descriptor))
        .bind("t", System.currentTimeMillis())
        .fetch().rowsUpdated().thenReturn(id);
  }

  Mono<Void> deleteExample(String collectionId, String subject, String faceId) {
    return db.sql("DELETE FROM face_example WHERE id = :id AND collection_id = :c AND subject = :s")
        .bind("id", faceId).bind("c", collectionId).bind("s", subject)
        .fetch().rowsUpdated()
        .flatMap(n -> n == 0
            ? Mono.error(ProblemException.notFound("face_not_found",
                "No face '" + faceId + "' for subject '" + subject + "' in collection '" + collectionId + "'"))
            : Mono.empty());
  }

  Flux<Example> examples(String collectionId) {
    return db.sql("SELECT id, subject, descriptor FROM face_example WHERE collection_id = :c")
        .bind("c", collectionId)
        .map((row, meta) -> new Example(row.get("id", String.class), row.get("subject", String.class),
            decode(row.get("descriptor", String.class))))
        .all();
  }

  static String encode(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }

  static float[] decode(String s) {
    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(s)).order(ByteOrder.LITTLE_ENDIAN);
    float[] v = new float[b.remaining() / 4];
    b.asFloatBuffer().get(v);
    return v;
  }
}
