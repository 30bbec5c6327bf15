package dev.dbsnap.cli;

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
