package dev.dbsnap.storage;

import java.time.Instant;

/** A multipart upload that was started and neither completed nor aborted. */
public record PendingUpload(String key, String uploadId, Instant initiated) {}
