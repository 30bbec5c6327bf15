package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.source.Source;
import picocli.CommandLine.Option;

/** {@code --user} and {@code --password-env}: how a command logs in to a database it names. */
final class Login {
  @Option(names = "--user", description = "database user (PostgreSQL)")
  String user;

  @Option(
      names = "--password-env",
      paramLabel = "VAR",
      description = "environment variable holding the password (default: PGPASSWORD when set)")
  String passwordEnv;

  /** The database at {@code location} (a JDBC URL or an SQLite file) with this login. */
  Source source(String location) {
    return Source.parse(location, user, password(passwordEnv));
  }

  /**
   * The password in the environment variable {@code env}, or PGPASSWORD when no variable is named.
   *
   * @throws DbsnapException INVALID_ARGUMENT when the named variable is not set
   */
  static String password(String env) {
    if (env != null) {
      String value = System.getenv(env);
      if (value == null) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT, "environment variable " + env + " is not set");
      }
      return value;
    }
    return System.getenv("PGPASSWORD");
  }
}
