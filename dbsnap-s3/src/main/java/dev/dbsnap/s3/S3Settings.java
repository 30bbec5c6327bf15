package dev.dbsnap.s3;

/**
 * How to reach S3-compatible storage, beyond what the AWS SDK reads itself from the standard
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, profiles).
 *
 * @param endpointUrl an endpoint such as {@code http://127.0.0.1:9000} (MinIO, R2), or null for AWS
 * @param region the region, or null for the SDK's chain (R2 and MinIO accept {@code auto}/{@code
 *     us-east-1})
 * @param pathStyle true to address buckets as {@code endpoint/bucket} (MinIO, s3proxy); null to
 *     decide from the endpoint (path style when an endpoint is given)
 * @param accessKeyId an explicit access key, or null for the SDK's credential chain
 * @param secretAccessKey the explicit secret key, or null
 */
public record S3Settings(
    String endpointUrl,
    String region,
    Boolean pathStyle,
    String accessKeyId,
    String secretAccessKey) {
  public static final S3Settings DEFAULTS = new S3Settings(null, null, null, null, null);

  /**
   * Settings for an S3-compatible server at {@code endpointUrl} (MinIO, s3proxy) addressed path
   * style in us-east-1 with the given keys.
   */
  public static S3Settings pathStyle(
      String endpointUrl, String accessKeyId, String secretAccessKey) {
    return new S3Settings(endpointUrl, "us-east-1", true, accessKeyId, secretAccessKey);
  }

  @Override
  public String toString() {
    return "S3Settings[endpointUrl="
        + endpointUrl
        + ", region="
        + region
        + ", pathStyle="
        + pathStyle
        + ", accessKeyId="
        + accessKeyId
        + ", secretAccessKey="
        + (secretAccessKey == null ? null : "***")
        + "]";
  }
}
