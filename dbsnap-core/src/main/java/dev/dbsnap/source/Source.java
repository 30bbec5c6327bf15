package dev.dbsnap.source;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import javax.sql.DataSource;

/**
 * Where data comes from: a JDBC URL ({@code jdbc:postgresql:}, {@code jdbc:sqlite:}) or an SQLite
 * file path. Immutable; {@link #connect()} opens a new connection each call.
 *
 * @param url the JDBC URL
 * @param user the user name, or null to take it from the URL
 * @param password the password, or null; never printed
 * @param dataSource where connections come from instead of {@link DriverManager}, or null
 */
public record Source(String url, String user, String password, DataSource dataSource) {

  /** A source reached through {@link DriverManager} with this URL and login. */
  public Source(String url, String user, String password) {
    this(url, user, password, null);
  }

  /**
   * A source reached through an application's {@link DataSource} (a pool, say): every connection
   * dbsnap opens comes from it and is closed when dbsnap is done with it. One connection is opened
   * now to learn the database's kind and URL.
   *
   * @throws DbsnapException SOURCE_UNAVAILABLE when no connection can be had; INVALID_ARGUMENT when
   *     the database is neither PostgreSQL nor SQLite
   */
  public static Source of(DataSource dataSource) {
    String url;
    try (Connection c = dataSource.getConnection()) {
      url = c.getMetaData().getURL();
    } catch (SQLException e) {
      throw new DbsnapException(
          ErrorCode.SOURCE_UNAVAILABLE,
          "cannot connect through the data source: " + firstLine(e.getMessage()),
          e);
    }
    if (url == null || !(url.startsWith("jdbc:postgresql:") || url.startsWith("jdbc:sqlite:"))) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "the data source reaches "
              + (url == null ? "an unknown database" : redact(url))
              + ": dbsnap reads PostgreSQL and SQLite");
    }
    return new Source(url, null, null, dataSource);
  }

  /** The source for what a user typed: a JDBC URL or a path to an existing SQLite file. */
  public static Source parse(String location, String user, String password) {
    if (location == null || location.isBlank()) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "no source given: pass a JDBC URL or an SQLite file path");
    }
    if (location.startsWith("jdbc:")) {
      if (!location.startsWith("jdbc:postgresql:") && !location.startsWith("jdbc:sqlite:")) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "unsupported JDBC URL '"
                + redact(location)
                + "': dbsnap reads jdbc:postgresql: and jdbc:sqlite: sources");
      }
      return new Source(location, user, password);
    }
    if (location.startsWith("postgres://") || location.startsWith("postgresql://")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "'" + redact(location) + "' is a libpq URI; write it as jdbc:postgresql://host:port/db");
    }
    Path path = Path.of(location);
    if (!Files.isRegularFile(path)) {
      throw new DbsnapException(
          ErrorCode.SOURCE_UNAVAILABLE, "SQLite file " + path + " does not exist");
    }
    return new Source("jdbc:sqlite:" + path.toAbsolutePath(), user, password);
  }

  public DialectKind kind() {
    return url.startsWith("jdbc:sqlite:") ? DialectKind.SQLITE : DialectKind.POSTGRESQL;
  }

  public Dialect dialect() {
    return Dialect.of(kind());
  }

  /** The URL with any password parameter removed, safe to log. */
  public String safeUrl() {
    return redact(url);
  }

  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***")
        .replaceAll("//([^/:@]+):[^/@]*@", "//$1:***@");
  }

  /**
   * Opens a connection.
   *
   * @throws SourceException SOURCE_UNAVAILABLE when the database cannot be reached (transient
   *     unless the file or server says it never will be), SOURCE_AUTHENTICATION_FAILED when it
   *     refuses the login, SOURCE_UNKNOWN_DATABASE or SOURCE_PERMISSION_DENIED
   */
  public Connection connect() {
    return connect(true);
  }

  /**
   * Opens a connection that may write: an SQLite file is created when missing. For restores.
   *
   * @throws SourceException SOURCE_UNAVAILABLE when the database cannot be reached (transient
   *     unless the file or server says it never will be), SOURCE_AUTHENTICATION_FAILED when it
   *     refuses the login, SOURCE_UNKNOWN_DATABASE or SOURCE_PERMISSION_DENIED
   */
  public Connection connectForWriting() {
    return connect(false);
  }

  private Connection connect(boolean readOnly) {
    if (dataSource != null) {
      try {
        return dataSource.getConnection();
      } catch (SQLException e) {
        throw new DbsnapException(
            ErrorCode.SOURCE_UNAVAILABLE,
            "cannot connect to " + safeUrl() + ": " + firstLine(e.getMessage()),
            e);
      }
    }
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (password != null) {
      props.setProperty("password", password);
    }
    if (readOnly && kind() == DialectKind.SQLITE) {
      props.setProperty(
          "open_mode", "1"); // SQLITE_OPEN_READONLY: never create or change the source
    }
    try {
      return DriverManager.getConnection(url, props);
    } catch (SQLException e) {
      throw SourceException.from(
          e, ErrorCode.SOURCE_UNAVAILABLE, "cannot connect to " + safeUrl(), null);
    }
  }

  @Override
  public String toString() {
    return safeUrl();
  }

  static String firstLine(String message) {
    if (message == null || message.isBlank()) {
      return "unknown error";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }
}
