package dev.dbsnap.source;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.sql.SQLException;

/**
 * A database refused or failed a request: carries the SQLState (or SQLite result code), the table
 * involved when there is one, and whether trying again may help. Made from a driver's exception by
 * {@link #from}, which names the cause by {@link SqlStates}.
 */
public class SourceException extends DbsnapException {
  private final String sqlState;
  private final String table;
  private final boolean transientFailure;

  /**
   * @param sqlState the SQLState, or null
   * @param table the table involved, or null
   * @param transientFailure whether trying again may help
   */
  public SourceException(
      ErrorCode code,
      String message,
      String sqlState,
      String table,
      boolean transientFailure,
      Throwable cause) {
    super(code, message, cause);
    this.sqlState = sqlState;
    this.table = table;
    this.transientFailure = transientFailure;
  }

  /**
   * Translates a driver's exception: the code names the cause when the database's error does
   * (SOURCE_AUTHENTICATION_FAILED for a refused password), and is {@code otherwise} when it does
   * not. The message is {@code what} followed by the first line of the driver's message.
   *
   * @param otherwise the code for what the caller was doing (SOURCE_UNAVAILABLE while connecting,
   *     SOURCE_READ_FAILED while reading, RESTORE_FAILED while restoring)
   * @param what what failed, for a person: "cannot connect to jdbc:postgresql://db/app"
   * @param table the table involved, or null
   */
  public static SourceException from(
      SQLException e, ErrorCode otherwise, String what, String table) {
    SqlStates.Cause cause = SqlStates.classify(e);
    ErrorCode code = cause.code() != null ? cause.code() : otherwise;
    return new SourceException(
        code,
        what + ": " + Source.firstLine(e.getMessage()),
        cause.state(),
        table,
        cause.transientFailure(),
        e);
  }

  /**
   * The SQLState, or for SQLite (which has none) its primary result code's name such as {@code
   * SQLITE_BUSY}; null when the driver gave neither.
   */
  public String sqlState() {
    return sqlState;
  }

  /** The table being read or written when it failed, as a person writes it; null if none. */
  public String table() {
    return table;
  }

  @Override
  public boolean isTransient() {
    return transientFailure;
  }
}
