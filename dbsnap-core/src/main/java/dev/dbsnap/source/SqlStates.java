package dev.dbsnap.source;

import dev.dbsnap.ErrorCode;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The one reading of what a database error says about its cause: PostgreSQL's SQLState, SQLite's
 * result code. Names the failure when it is one a person fixes in the configuration (a refused
 * password, an unknown database, a missing grant) and says whether trying again can help.
 *
 * <ul>
 *   <li>PostgreSQL, named and not retried: 28P01 and 28000 (all of class 28) are
 *       SOURCE_AUTHENTICATION_FAILED, 3D000 SOURCE_UNKNOWN_DATABASE, 42501
 *       SOURCE_PERMISSION_DENIED.
 *   <li>PostgreSQL, not retried, the caller's code: classes 0A (not supported), 22 (data), 23
 *       (integrity), 25 (transaction state), 3F (schema name), 42 (42P01 undefined table, 42703
 *       undefined column, syntax).
 *   <li>PostgreSQL, retried, the caller's code: class 08 (08001 connection refused, 08003, 08004,
 *       08006 connection reset), 57P01, 57P02, 57P03 (shutdown, crash, cannot connect now), class
 *       40 (40001 serialization failure, 40P01 deadlock), class 53 (53300 too many connections),
 *       55P03 (lock not available).
 *   <li>SQLite: SQLITE_AUTH is SOURCE_AUTHENTICATION_FAILED, SQLITE_PERM SOURCE_PERMISSION_DENIED,
 *       SQLITE_CANTOPEN and SQLITE_NOTADB SOURCE_UNAVAILABLE, none retried; SQLITE_ERROR, READONLY,
 *       CORRUPT, CONSTRAINT, MISMATCH, MISUSE, RANGE and TOOBIG are not retried either;
 *       SQLITE_BUSY, SQLITE_LOCKED and the rest are.
 * </ul>
 *
 * <p>Any other error, or one without a state, is retried: a job tries a bounded number of times,
 * and giving up on a failure that would have passed costs more than one retry too many.
 */
public final class SqlStates {
  private static final Map<String, ErrorCode> NAMED =
      Map.of(
          "28P01", ErrorCode.SOURCE_AUTHENTICATION_FAILED,
          "28000", ErrorCode.SOURCE_AUTHENTICATION_FAILED,
          "3D000", ErrorCode.SOURCE_UNKNOWN_DATABASE,
          "42501", ErrorCode.SOURCE_PERMISSION_DENIED);
  private static final Set<String> TRANSIENT =
      Set.of("57P01", "57P02", "57P03", "40001", "40P01", "53300", "55P03");
  private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53");
  private static final Set<String> PERMANENT_CLASSES =
      Set.of("0A", "22", "23", "25", "28", "3D", "3F", "42");
  private static final Set<SQLiteErrorCode> SQLITE_PERMANENT =
      Set.of(
          SQLiteErrorCode.SQLITE_ERROR,
          SQLiteErrorCode.SQLITE_PERM,
          SQLiteErrorCode.SQLITE_READONLY,
          SQLiteErrorCode.SQLITE_CORRUPT,
          SQLiteErrorCode.SQLITE_CANTOPEN,
          SQLiteErrorCode.SQLITE_TOOBIG,
          SQLiteErrorCode.SQLITE_CONSTRAINT,
          SQLiteErrorCode.SQLITE_MISMATCH,
          SQLiteErrorCode.SQLITE_MISUSE,
          SQLiteErrorCode.SQLITE_AUTH,
          SQLiteErrorCode.SQLITE_RANGE,
          SQLiteErrorCode.SQLITE_NOTADB);

  private SqlStates() {}

  /**
   * What an error says about its cause.
   *
   * @param state the SQLState, or for SQLite its primary result code's name (SQLITE_BUSY); null
   *     when the driver gave neither
   * @param code the code naming the cause, or null when the caller's own code says it best
   * @param transientFailure whether trying again can help
   */
  record Cause(String state, ErrorCode code, boolean transientFailure) {}

  /** Whether trying again may get past {@code e}, by the table above. */
  public static boolean isTransient(SQLException e) {
    return classify(e).transientFailure();
  }

  /**
   * Classifies {@code e} by the first SQLState or SQLite result code found in it, its chain of next
   * exceptions (a failed batch) and its causes.
   */
  static Cause classify(SQLException e) {
    Deque<Throwable> todo = new ArrayDeque<>();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    todo.add(e);
    while (!todo.isEmpty()) {
      Throwable t = todo.poll();
      if (!seen.add(t)) {
        continue;
      }
      if (t instanceof SQLiteException lite && lite.getResultCode() != null) {
        Cause cause = sqlite(lite.getResultCode());
        if (cause != null) {
          return cause;
        }
      } else if (t instanceof SQLException s && s.getSQLState() != null) {
        return postgres(s.getSQLState());
      }
      if (t instanceof SQLException s && s.getNextException() != null) {
        todo.add(s.getNextException());
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
    }
    return new Cause(null, null, true);
  }

  private static Cause postgres(String state) {
    String kind = state.length() >= 2 ? state.substring(0, 2) : state;
    ErrorCode named = NAMED.get(state);
    if (named == null && kind.equals("28")) {
      named = ErrorCode.SOURCE_AUTHENTICATION_FAILED;
    }
    boolean retry =
        TRANSIENT.contains(state)
            || TRANSIENT_CLASSES.contains(kind)
            || (named == null && !PERMANENT_CLASSES.contains(kind));
    return new Cause(state, named, retry);
  }

  private static Cause sqlite(SQLiteErrorCode code) {
    SQLiteErrorCode primary = SQLiteErrorCode.getErrorCode(code.code & 0xff);
    if (primary == SQLiteErrorCode.UNKNOWN_ERROR || primary == SQLiteErrorCode.SQLITE_OK) {
      return null;
    }
    ErrorCode named =
        switch (primary) {
          case SQLITE_AUTH -> ErrorCode.SOURCE_AUTHENTICATION_FAILED;
          case SQLITE_PERM -> ErrorCode.SOURCE_PERMISSION_DENIED;
          case SQLITE_CANTOPEN, SQLITE_NOTADB -> ErrorCode.SOURCE_UNAVAILABLE;
          default -> null;
        };
    return new Cause(primary.name(), named, !SQLITE_PERMANENT.contains(primary));
  }
}
