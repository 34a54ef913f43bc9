-- The media flow: what the processing worker records about each photo.
ALTER TABLE media
  ADD COLUMN sha256 bytea,
  -- 64-bit difference hash of the upright picture, for near-duplicate lookups (Hamming distance).
  ADD COLUMN phash bigint,
  -- An identical re-upload by the same owner serves the renditions of this earlier media row
  -- instead of storing them again.
  ADD COLUMN rendition_source_id bigint REFERENCES media (id) ON DELETE SET NULL,
  -- Times the reconciler has re-queued this item after it stalled in `processing`.
  ADD COLUMN requeues integer NOT NULL DEFAULT 0,
  -- When the client said "complete" and when the renditions were stored: the latency users feel.
  ADD COLUMN completed_at timestamptz,
  ADD COLUMN processed_at timestamptz;

CREATE INDEX media_owner_sha256 ON media (owner_id, sha256) WHERE status = 'ready';
CREATE INDEX media_processing_since ON media (updated_at) WHERE status = 'processing';
CREATE INDEX media_uploading_since ON media (created_at) WHERE status = 'uploading';
-- Storage quota: bytes of originals per owner that are not failed.
CREATE INDEX media_owner_live_size ON media (owner_id) INCLUDE (size_bytes) WHERE status <> 'failed';
