package dev.dbsnap.config;

import dev.dbsnap.s3.S3Settings;
import dev.dbsnap.source.Source;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything {@code dbsnap serve} is configured with: validated when built, immutable afterwards.
 * Built from a YAML file and environment variables by {@link ConfigLoader}; secrets (passwords, the
 * webhook secret) are held resolved but never printed by {@link #toString()} of any part.
 *
 * @param http where the API listens
 * @param control the control database holding jobs
 * @param store where exports are written
 * @param sources the databases that may be exported, by name (lower-case)
 * @param tokens the API tokens, as hashes, and the sources each may use
 * @param workers the export workers and their leases and retries
 * @param webhooks how callbacks are signed and delivered
 * @param retention how long finished exports are kept
 * @param snapshots the table snapshot cache of {@code /v1/sources/{source}/tables/{table}/snapshot}
 */
public record ServerConfig(
    Http http,
    Control control,
    Store store,
    Map<String, SourceConfig> sources,
    List<TokenConfig> tokens,
    Workers workers,
    Webhooks webhooks,
    Retention retention,
    Snapshots snapshots) {
  public ServerConfig {
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(control, "control");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(workers, "workers");
    Objects.requireNonNull(webhooks, "webhooks");
    Objects.requireNonNull(retention, "retention");
    Objects.requireNonNull(snapshots, "snapshots");
    sources = Map.copyOf(sources);
    tokens = List.copyOf(tokens);
  }

  /**
   * @param host the address to listen on (default 127.0.0.1)
   * @param port the port (default 8080; 0 picks a free one)
   * @param maxBodyBytes the largest request body accepted (default 64 KiB); larger gets 413
   */
  public record Http(String host, int port, int maxBodyBytes) {}

  /**
   * @param url JDBC URL: {@code jdbc:sqlite:path} (one process) or {@code jdbc:postgresql://...}
   * @param user user name or null
   * @param password password or null (from an environment variable named in the file)
   * @param poolSize connections kept open
   */
  public record Control(String url, String user, String password, int poolSize) {
    /** The URL with any password parameter masked, for messages and logs. */
    public String safeUrl() {
      return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    public boolean isPostgres() {
      return url.startsWith("jdbc:postgresql:");
    }

    @Override
    public String toString() {
      return "Control[url="
          + safeUrl()
          + ", user="
          + user
          + ", password="
          + (password == null ? null : "***")
          + ", poolSize="
          + poolSize
          + "]";
    }
  }

  /**
   * @param location a directory or {@code s3://bucket/prefix}
   * @param s3 S3 connection settings (ignored for a directory)
   * @param presignTtl how long a presigned download URL stays valid
   */
  public record Store(String location, S3Settings s3, Duration presignTtl) {}

  /**
   * A database that may be exported.
   *
   * @param name its name in URLs (lower-case letters, digits, '-', '_')
   * @param url a JDBC URL or a SQLite file path
   * @param user user name or null
   * @param password password or null (from an environment variable)
   */
  public record SourceConfig(String name, String url, String user, String password) {
    public Source toSource() {
      return Source.parse(url, user, password);
    }

    @Override
    public String toString() {
      return "SourceConfig[name="
          + name
          + ", url="
          + Source.parse(url, user, null).safeUrl()
          + ", user="
          + user
          + ", password="
          + (password == null ? null : "***")
          + "]";
    }
  }

  /**
   * An API token, kept as the hex SHA-256 of the token text.
   *
   * @param name a label for logs and audit (never the token)
   * @param sha256 lower-case hex SHA-256 of the token
   * @param sources the sources it may use; {@code *} for every source
   */
  public record TokenConfig(String name, String sha256, Set<String> sources) {
    public TokenConfig {
      sources = Set.copyOf(sources);
    }

    public boolean allows(String source) {
      return sources.contains("*") || sources.contains(source);
    }
  }

  /**
   * @param count export jobs run at once by this process
   * @param leaseTtl how long a claimed job stays owned without a heartbeat
   * @param heartbeat how often a running job renews its lease (well under leaseTtl)
   * @param poll how often an idle worker looks for queued jobs
   * @param maxAttempts attempts in a row that fail transiently without progress (no new part or
   *     object checkpointed) before the job fails; an attempt that made progress starts the count
   *     again
   * @param retryBackoff the wait before a retry after an attempt that made progress or the first
   *     one that did not; doubled for each further attempt in a row without progress
   * @param maxRunTime how long after a job first started a transient failure fails it instead of
   *     being retried, whatever progress it makes; zero for no cap. A running attempt is never
   *     stopped for it.
   * @param uploadConcurrency parts one job uploads at once
   */
  public record Workers(
      int count,
      Duration leaseTtl,
      Duration heartbeat,
      Duration poll,
      int maxAttempts,
      Duration retryBackoff,
      Duration maxRunTime,
      int uploadConcurrency) {
    public Workers {
      Objects.requireNonNull(maxRunTime, "maxRunTime");
      if (maxRunTime.isNegative()) {
        throw new IllegalArgumentException("maxRunTime " + maxRunTime + " is negative");
      }
    }
  }

  /**
   * @param secret the Standard Webhooks secret ({@code whsec_} + base64), or null: jobs with a
   *     callback URL are then refused
   * @param allowHosts hosts, addresses or CIDR ranges a callback may reach although they are
   *     loopback, private, link-local or metadata addresses
   * @param timeout per delivery attempt
   * @param retryBase the wait before the first retry; doubled on each further one (capped at 15
   *     min)
   * @param retryFor how long a failing delivery keeps being retried (at least an hour by default)
   */
  public record Webhooks(
      String secret,
      List<String> allowHosts,
      Duration timeout,
      Duration retryBase,
      Duration retryFor) {
    public Webhooks {
      allowHosts = List.copyOf(allowHosts);
    }

    @Override
    public String toString() {
      return "Webhooks[secret="
          + (secret == null ? null : "***")
          + ", allowHosts="
          + allowHosts
          + ", timeout="
          + timeout
          + ", retryBase="
          + retryBase
          + ", retryFor="
          + retryFor
          + "]";
    }
  }

  /**
   * @param exports how long a finished export's objects are kept before it becomes {@code expired}
   * @param orphanUploads age after which a multipart upload no live job owns is aborted
   * @param janitorInterval how often the janitor runs
   */
  public record Retention(Duration exports, Duration orphanUploads, Duration janitorInterval) {}

  /**
   * The snapshot cache: one object per table version and format, built once and served many times.
   *
   * @param presignTtl how long a snapshot's download URL stays valid
   * @param grace how long superseded versions and unknown objects are kept; at least presignTtl, so
   *     that no URL handed out outlives its object
   * @param leaseTtl how long a silent builder keeps its build lease before another takes over
   * @param maxBytes the most bytes one snapshot may have; 0 for no limit
   * @param maxTotalBytes the most bytes a source's snapshots may have together (least recently used
   *     evicted first); 0 for no limit
   * @param reapEvery how often old versions, unknown objects and stray uploads are removed
   * @param partSize part size of snapshot uploads (at least 5 MiB on S3)
   */
  public record Snapshots(
      Duration presignTtl,
      Duration grace,
      Duration leaseTtl,
      long maxBytes,
      long maxTotalBytes,
      Duration reapEvery,
      int partSize) {
    /** The defaults of {@code dbsnap serve}. */
    public static final Snapshots DEFAULTS =
        new Snapshots(
            Duration.ofMinutes(10),
            Duration.ofMinutes(15),
            Duration.ofSeconds(10),
            0,
            0,
            Duration.ofMinutes(5),
            8 * 1024 * 1024);

    public Snapshots {
      Objects.requireNonNull(presignTtl, "presignTtl");
      Objects.requireNonNull(grace, "grace");
      Objects.requireNonNull(leaseTtl, "leaseTtl");
      Objects.requireNonNull(reapEvery, "reapEvery");
      if (grace.compareTo(presignTtl) < 0) {
        throw new IllegalArgumentException(
            "snapshot grace " + grace + " is shorter than presignTtl " + presignTtl);
      }
      if (maxBytes < 0 || maxTotalBytes < 0 || partSize < 1) {
        throw new IllegalArgumentException(
            "snapshot limits must not be negative: maxBytes "
                + maxBytes
                + ", maxTotalBytes "
                + maxTotalBytes
                + ", partSize "
                + partSize);
      }
    }

    /** These settings with other byte limits. */
    public Snapshots withLimits(long maxBytes, long maxTotalBytes) {
      return new Snapshots(
          presignTtl, grace, leaseTtl, maxBytes, maxTotalBytes, reapEvery, partSize);
    }

    /** These settings with another part size. */
    public Snapshots withPartSize(int partSize) {
      return new Snapshots(
          presignTtl, grace, leaseTtl, maxBytes, maxTotalBytes, reapEvery, partSize);
    }
  }
}
