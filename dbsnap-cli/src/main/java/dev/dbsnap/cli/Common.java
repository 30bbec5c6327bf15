package dev.dbsnap.cli;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.s3.S3Settings;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Options every command shares: object store access and --debug. */
final class Common {
  @Option(
      names = "--endpoint-url",
      description = "S3-compatible endpoint (MinIO, R2); default: AWS_ENDPOINT_URL or AWS")
  String endpointUrl;

  @Option(
      names = "--region",
      description = "S3 region; default: AWS_REGION, the AWS profile, or us-east-1")
  String region;

  @Option(
      names = "--path-style",
      description =
          "address buckets as endpoint/bucket (MinIO); default: on when an endpoint is set")
  Boolean pathStyle;

  @Option(names = "--debug", description = "print stack traces on errors")
  boolean debug;

  S3Settings s3() {
    return new S3Settings(endpointUrl, region, pathStyle, null, null);
  }

  /** Parses sizes like 8388608, 8MiB, 8MB, 8M, 512KiB. */
  static long parseSize(String text) {
    String t = text.trim().toUpperCase(Locale.ROOT).replace(" ", "");
    long unit = 1;
    String[][] units = {
      {"GIB", "1073741824"},
      {"MIB", "1048576"},
      {"KIB", "1024"},
      {"GB", "1073741824"},
      {"MB", "1048576"},
      {"KB", "1024"},
      {"G", "1073741824"},
      {"M", "1048576"},
      {"K", "1024"},
      {"B", "1"}
    };
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        unit = Long.parseLong(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      return Math.multiplyExact(Long.parseLong(t), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, "invalid size '" + text + "': write e.g. 8MiB or 8388608");
    }
  }

  static String humanBytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int i = -1;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
  }
}
