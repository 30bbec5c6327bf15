package dev.dbsnap.http;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import dev.dbsnap.export.Compression;
import dev.dbsnap.export.Manifest;
import dev.dbsnap.format.Format;
import dev.dbsnap.job.Job;
import dev.dbsnap.job.JobService;
import dev.dbsnap.storage.ObjectStore;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * {@code GET /v1/exports/{id}/download}: a presigned redirect where the store offers one, else the
 * bytes with ETag and single-range support, or a ZIP streamed on the fly when an export of several
 * objects is asked for whole. Object keys come only from the manifest, never from the request.
 */
final class Downloads {
  private static final Pattern RANGE = Pattern.compile("(\\d*)-(\\d*)");
  private final ObjectStore store;
  private final JobService jobs;
  private final Duration presignTtl;

  Downloads(ObjectStore store, JobService jobs, Duration presignTtl) {
    this.store = store;
    this.jobs = jobs;
    this.presignTtl = presignTtl;
  }

  void serve(Context ctx, Job job) throws IOException {
    switch (job.state()) {
      case SUCCEEDED -> {}
      case EXPIRED ->
          throw ApiException.gone(
              "export " + job.id() + " has expired and its objects were deleted");
      default ->
          throw new DbsnapException(
              ErrorCode.CONFLICT,
              "export "
                  + job.id()
                  + " is "
                  + job.state().wire()
                  + "; it can be downloaded once it has succeeded");
    }
    Manifest manifest = job.manifest();
    String dir = jobs.exportDir(job.id());
    String object = ctx.queryParam("object");
    Manifest.ObjectEntry entry = null;
    if (object != null) {
      for (Manifest.ObjectEntry o : manifest.objects()) {
        if (o.key().equals(object)) {
          entry = o;
        }
      }
      if (entry == null) {
        throw new InvalidInputException(
            ErrorCode.NOT_FOUND,
            "object",
            "export " + job.id() + " has no object '" + ExportRequests.abbreviate(object) + "'");
      }
    } else if (manifest.objects().size() == 1) {
      entry = manifest.objects().get(0);
    } else {
      zip(ctx, job, manifest, dir);
      return;
    }
    Optional<URI> presigned = store.presignedGet(dir + entry.key(), presignTtl);
    if (presigned.isPresent()) {
      ctx.status(302);
      ctx.header("Location", presigned.get().toString());
      ctx.header("Cache-Control", "no-store");
      return;
    }
    single(ctx, manifest, dir, entry);
  }

  private void single(Context ctx, Manifest manifest, String dir, Manifest.ObjectEntry entry)
      throws IOException {
    object(
        ctx,
        dir + entry.key(),
        entry.key(),
        entry.bytes(),
        entry.sha256(),
        contentType(manifest),
        null);
  }

  /**
   * Answers with one object of the store: ETag (its SHA-256, quoted), If-None-Match (304), one byte
   * range (206, or 416 outside the object) and the whole object otherwise.
   *
   * @param cacheControl a Cache-Control value for the object's answers (200, 206, 304), or null
   */
  void object(
      Context ctx,
      String key,
      String fileName,
      long length,
      String sha256,
      String contentType,
      String cacheControl)
      throws IOException {
    String etag = "\"" + sha256 + "\"";
    ctx.header("ETag", etag);
    ctx.header("Accept-Ranges", "bytes");
    if (matches(ctx.header("If-None-Match"), etag)) {
      if (cacheControl != null) {
        ctx.header("Cache-Control", cacheControl);
      }
      ctx.status(304);
      return;
    }
    String ifRange = ctx.header("If-Range");
    long[] range =
        ifRange == null || ifRange.strip().equals(etag) ? range(ctx.header("Range"), length) : null;
    if (range != null && range.length == 0) {
      ctx.header("Content-Range", "bytes */" + length);
      throw new ApiException(
          416,
          "range-not-satisfiable",
          null,
          "the requested range lies outside the " + length + " bytes of " + fileName);
    }
    long start = range == null ? 0 : range[0];
    long count = range == null ? length : range[1] - range[0] + 1;
    try (InputStream in = store.get(key)) {
      ctx.status(range == null ? 200 : 206);
      if (range != null) {
        ctx.header("Content-Range", "bytes " + range[0] + "-" + range[1] + "/" + length);
      }
      if (cacheControl != null) {
        ctx.header("Cache-Control", cacheControl);
      }
      ctx.contentType(contentType);
      ctx.header("Content-Disposition", "attachment; filename=\"" + fileName + "\"");
      ctx.res().setContentLengthLong(count);
      in.skipNBytes(start);
      copy(in, ctx.res().getOutputStream(), count);
    }
  }

  private void zip(Context ctx, Job job, Manifest manifest, String dir) throws IOException {
    ctx.status(200);
    ctx.contentType("application/zip");
    ctx.header("Content-Disposition", "attachment; filename=\"" + job.id() + ".zip\"");
    Instant at = job.finishedAt() == null ? job.updatedAt() : job.finishedAt();
    boolean compressed = !manifest.compression().equals("none");
    ZipOutputStream zip = new ZipOutputStream(ctx.res().getOutputStream());
    for (Manifest.ObjectEntry o : manifest.objects()) {
      try (InputStream in = store.get(dir + o.key())) {
        putEntry(zip, o.key(), at, compressed);
        in.transferTo(zip);
        zip.closeEntry();
      }
    }
    try (InputStream in = store.get(dir + Manifest.FILE)) {
      putEntry(zip, Manifest.FILE, at, false);
      in.transferTo(zip);
      zip.closeEntry();
    }
    zip.finish();
  }

  /**
   * Starts a ZIP entry; data already compressed is stored in deflate's raw blocks, not squeezed
   * again.
   */
  static void putEntry(ZipOutputStream zip, String name, Instant at, boolean compressed)
      throws IOException {
    ZipEntry entry = new ZipEntry(name);
    if (at != null) {
      entry.setTime(at.toEpochMilli());
    }
    zip.setLevel(compressed ? Deflater.NO_COMPRESSION : Deflater.BEST_SPEED);
    zip.putNextEntry(entry);
  }

  private static void copy(InputStream in, OutputStream out, long count) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long left = count;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("object ended " + left + " bytes early");
      }
      out.write(buffer, 0, n);
      left -= n;
    }
  }

  static boolean matches(String ifNoneMatch, String etag) {
    if (ifNoneMatch == null) {
      return false;
    }
    for (String candidate : ifNoneMatch.split(",")) {
      String c = candidate.strip();
      if (c.startsWith("W/")) {
        c = c.substring(2);
      }
      if (c.equals("*") || c.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The single byte range a {@code Range} header asks for, as {start, end} inclusive; null to send
   * the whole object (no header, another unit, several ranges, or a malformed one, all of which RFC
   * 9110 lets a server ignore); an empty array when it is unsatisfiable.
   */
  static long[] range(String header, long length) {
    if (header == null || !header.regionMatches(true, 0, "bytes=", 0, 6)) {
      return null;
    }
    Matcher m = RANGE.matcher(header.substring(6).strip());
    if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
      return null;
    }
    if (m.group(1).isEmpty()) {
      long suffix = number(m.group(2));
      if (suffix == 0 || length == 0) {
        return new long[0];
      }
      return new long[] {Math.max(0, length - suffix), length - 1};
    }
    long start = number(m.group(1));
    if (!m.group(2).isEmpty() && number(m.group(2)) < start) {
      return null;
    }
    if (start >= length) {
      return new long[0];
    }
    long end = m.group(2).isEmpty() ? length - 1 : Math.min(number(m.group(2)), length - 1);
    return new long[] {start, end};
  }

  private static long number(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return Long.MAX_VALUE; // more digits than a long holds: beyond any object
    }
  }

  static String contentType(Manifest manifest) {
    Format format;
    Compression compression;
    try {
      format = Format.parse(manifest.format());
      compression = Compression.parse(manifest.compression());
    } catch (DbsnapException e) {
      return "application/octet-stream";
    }
    return contentType(format, compression);
  }

  static String contentType(Format format, Compression compression) {
    return switch (compression) {
      case GZIP -> "application/gzip";
      case ZSTD -> "application/zstd";
      case NONE ->
          switch (format) {
            case SQL -> "application/sql";
            case CSV -> "text/csv; charset=utf-8";
            case JSONL -> "application/x-ndjson";
            case JSON -> "application/json";
          };
    };
  }
}
