-- Face collections (H2 in PostgreSQL mode and PostgreSQL alike). Descriptors are 128 float32,
-- little-endian, base64: portable across both drivers without BLOB handling.
CREATE TABLE IF NOT EXISTS face_collection (
  id VARCHAR(64) PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS face_example (
  id VARCHAR(64) PRIMARY KEY,
  collection_id VARCHAR(64) NOT NULL REFERENCES face_collection (id) ON DELETE CASCADE,
  subject VARCHAR(200) NOT NULL,
  descriptor VARCHAR(1024) NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS face_example_collection ON face_example (collection_id);
