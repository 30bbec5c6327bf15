package dev.dbsnap.export;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Where an export stands after an uploaded part: the objects finished, and for the object being
 * written the parts uploaded and the point to restart from (DESIGN 4). Small, immutable and
 * serialisable as JSON ({@link #toJson()}, {@link #fromJson(String)}); no data bytes are kept.
 *
 * @param exportId the export this belongs to
 * @param fingerprint a digest of the options that shape the bytes; resume refuses other options
 * @param startedAt when the export first started (ISO-8601), kept across resumes
 * @param finished objects completed so far, in the order they completed (plan order with one job)
 * @param current the object being written when exactly one is, else null
 * @param versions the data versions of the tracked tables in the run that wrote this checkpoint
 *     (every finished table's data is of that version); null or empty when none is tracked
 * @param inFlight the objects being written when several are (an export with {@code --jobs}), in
 *     plan order; null otherwise. A checkpoint with one object in flight holds it in {@code
 *     current}, as checkpoints written before parallel exports do.
 * @param tagged the tagged columns (see {@link Manifest.TableEntry#tagged}) of every table whose
 *     rows were started, by table display name (an empty list for a table without any; sql exports
 *     keep none); a resume writes the rest of a table with the same tags.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Checkpoint(
    String exportId,
    String fingerprint,
    String startedAt,
    List<FinishedObject> finished,
    Current current,
    Map<String, Long> versions,
    List<Current> inFlight,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, List<String>> tagged) {
  static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public Checkpoint {
    Objects.requireNonNull(exportId, "exportId");
    Objects.requireNonNull(fingerprint, "fingerprint");
    finished = List.copyOf(finished);
    versions = versions == null ? Map.of() : Map.copyOf(versions);
    tagged = tagged == null ? Map.of() : Map.copyOf(tagged);
    if (inFlight != null && !inFlight.isEmpty()) {
      if (current != null) {
        throw new IllegalArgumentException("a checkpoint holds current or inFlight, not both");
      }
      if (inFlight.size() == 1) {
        current = inFlight.get(0);
        inFlight = null;
      } else {
        inFlight = List.copyOf(inFlight);
      }
    } else {
      inFlight = null;
    }
  }

  /** A checkpoint without tagged columns. */
  public Checkpoint(
      String exportId,
      String fingerprint,
      String startedAt,
      List<FinishedObject> finished,
      Current current,
      Map<String, Long> versions,
      List<Current> inFlight) {
    this(exportId, fingerprint, startedAt, finished, current, versions, inFlight, Map.of());
  }

  /** A checkpoint with at most one object in flight. */
  public Checkpoint(
      String exportId,
      String fingerprint,
      String startedAt,
      List<FinishedObject> finished,
      Current current,
      Map<String, Long> versions) {
    this(exportId, fingerprint, startedAt, finished, current, versions, null, Map.of());
  }

  /** Every object being written, in plan order: {@code current} or {@code inFlight}, or none. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public List<Current> inProgress() {
    if (inFlight != null) {
      return inFlight;
    }
    return current == null ? List.of() : List.of(current);
  }

  /** A checkpoint of an export without tracked tables. */
  public Checkpoint(
      String exportId,
      String fingerprint,
      String startedAt,
      List<FinishedObject> finished,
      Current current) {
    this(exportId, fingerprint, startedAt, finished, current, Map.of(), null, Map.of());
  }

  /** An object completed by an earlier part of the export. */
  public record FinishedObject(String key, long bytes, String sha256, Map<String, Long> rows) {}

  /**
   * The object in progress.
   *
   * @param objectIndex its position in the export's plan
   * @param key its key
   * @param uploadId the multipart upload it is being written by
   * @param parts parts uploaded, in number order
   * @param bytes bytes uploaded (the sum of the parts)
   * @param digestState the SHA-256 state after those bytes, base64
   * @param restart where to start re-encoding
   * @param completing set when every part is uploaded and the upload is being completed: what the
   *     finished object must be, so that a resume after a crash in that window can tell by its size
   *     and digest that the object is already whole
   */
  public record Current(
      int objectIndex,
      String key,
      String uploadId,
      List<Part> parts,
      long bytes,
      String digestState,
      RestartPoint restart,
      Completion completing) {
    public Current {
      parts = List.copyOf(parts);
    }

    /** An object in progress that is not yet being completed. */
    public Current(
        int objectIndex,
        String key,
        String uploadId,
        List<Part> parts,
        long bytes,
        String digestState,
        RestartPoint restart) {
      this(objectIndex, key, uploadId, parts, bytes, digestState, restart, null);
    }
  }

  /**
   * What an object whose upload is being completed will be.
   *
   * @param bytes its size
   * @param sha256 its SHA-256, hex
   * @param rows rows it holds, by table display name
   */
  public record Completion(long bytes, String sha256, Map<String, Long> rows) {
    public Completion {
      rows = Map.copyOf(rows);
    }
  }

  /** An uploaded part: number, ETag, size and CRC32C (hex). */
  public record Part(int number, String etag, long size, String crc32c) {}

  /**
   * The start of the last frame before a part boundary (DESIGN 4).
   *
   * @param segment which segment of the object: 0 is the object's head, 1..n its tables, n+1 its
   *     tail
   * @param afterKey the key of the last row before the frame, or null when the frame starts the
   *     segment
   * @param rows rows exported before the frame, by table display name
   * @param overlapBytes bytes of output from the frame's start up to the part boundary
   * @param overlapCrc CRC32C of those bytes
   */
  public record RestartPoint(
      int segment,
      List<Object> afterKey,
      Map<String, Long> rows,
      long overlapBytes,
      long overlapCrc) {
    public RestartPoint {
      rows = Map.copyOf(rows);
    }

    RestartPoint withOverlap(long bytes, long crc) {
      return new RestartPoint(segment, afterKey, rows, bytes, crc);
    }
  }

  /**
   * How far the export got, as one number that grows with every uploaded part (its bytes) and every
   * finished object (one more than the bytes its parts already counted, so that finishing an object
   * whose parts were all uploaded, or an empty one, moves it too): of two checkpoints of one
   * export, the later one has a larger mark exactly when something new was stored in between. A
   * checkpoint taken when an upload starts does not move it.
   */
  public long progressMark() {
    long mark = finished.size();
    for (FinishedObject f : finished) {
      mark += f.bytes();
    }
    for (Current c : inProgress()) {
      mark += c.bytes();
    }
    return mark;
  }

  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads a checkpoint written by {@link #toJson()}.
   *
   * @throws DbsnapException RESUME_FAILED when the text is not a checkpoint
   */
  public static Checkpoint fromJson(String json) {
    try {
      return JSON.readValue(json, Checkpoint.class);
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.RESUME_FAILED, "the checkpoint is unreadable: " + e.getMessage(), e);
    }
  }
}
