package dev.dbsnap.s3;

import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import dev.dbsnap.storage.CompletedPart;
import dev.dbsnap.storage.ObjectInfo;
import dev.dbsnap.storage.ObjectStore;
import dev.dbsnap.storage.PendingUpload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.regions.providers.InstanceProfileRegionProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * An {@link ObjectStore} in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, s3proxy),
 * reached with the AWS SDK v2 and configured the way the AWS CLI is.
 */
public final class S3ObjectStore implements ObjectStore {
  /** Attempts per request, the first included; the SDK retries 5xx, throttling and I/O errors. */
  static final int MAX_ATTEMPTS = 5;

  private static final String DEFAULT_REGION = "us-east-1";
  private static final String OCTET_STREAM = "application/octet-stream";

  private final S3Client client;
  private final AwsCredentialsProvider credentials;
  private final String bucket;
  private final String prefix;
  private final String endpoint;
  private final S3Presigner presigner;

  private S3ObjectStore(
      S3Client client,
      S3Presigner presigner,
      AwsCredentialsProvider credentials,
      String bucket,
      String prefix,
      String endpoint) {
    this.client = client;
    this.presigner = presigner;
    this.credentials = credentials;
    this.bucket = bucket;
    this.prefix = prefix;
    this.endpoint = endpoint;
  }

  public static ObjectStore open(String location, S3Settings settings) {
    return open(location, settings, System.getenv());
  }

  /** As {@link #open(String, S3Settings)}, reading the AWS_* variables from {@code env}. */
  static S3ObjectStore open(String location, S3Settings settings, Map<String, String> env) {
    S3Settings s = settings == null ? S3Settings.DEFAULTS : settings;
    String[] bucketAndPrefix = parseLocation(location);
    URI endpointUri = endpointUri(s, env);
    String region = region(s, env, endpointUri != null);
    AwsCredentialsProvider credentials = credentials(s);

    S3ClientBuilder builder =
        S3Client.builder()
            .region(Region.of(region))
            .credentialsProvider(credentials)
            // R2, MinIO and s3proxy reject or mishandle the CRC trailers the SDK sends by default
            // since 2.30; checksums are then only sent where the S3 API demands them.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
            .overrideConfiguration(
                o ->
                    o.retryStrategy(
                        AwsRetryStrategy.standardRetryStrategy().toBuilder()
                            .maxAttempts(MAX_ATTEMPTS)
                            .build()));
    if (endpointUri != null) {
      builder.endpointOverride(endpointUri);
    } else {
      // As the AWS CLI does, follow a bucket to its region instead of failing with a redirect.
      builder.crossRegionAccessEnabled(true);
    }
    // Servers other than AWS rarely have wildcard DNS for virtual-hosted buckets.
    Boolean pathStyle =
        s.pathStyle() != null ? s.pathStyle() : (endpointUri != null ? Boolean.TRUE : null);
    if (pathStyle != null) {
      builder.forcePathStyle(pathStyle);
    }
    String endpointText = endpointUri != null ? endpointUri.toString() : "AWS S3 (" + region + ")";
    S3Presigner.Builder presign =
        S3Presigner.builder()
            .region(Region.of(region))
            .credentialsProvider(credentials)
            .serviceConfiguration(
                S3Configuration.builder()
                    .pathStyleAccessEnabled(Boolean.TRUE.equals(pathStyle))
                    .build());
    if (endpointUri != null) {
      presign.endpointOverride(endpointUri);
    }
    try {
      return new S3ObjectStore(
          builder.build(),
          presign.build(),
          credentials,
          bucketAndPrefix[0],
          bucketAndPrefix[1],
          endpointText);
    } catch (SdkException e) {
      closeQuietly(credentials);
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot set up an S3 client for " + location + ": " + e.getMessage(),
          e);
    }
  }

  /** Splits {@code s3://bucket[/prefix]} into the bucket and the prefix without outer slashes. */
  static String[] parseLocation(String location) {
    if (location == null || !location.startsWith("s3://")) {
      throw malformed(location);
    }
    String rest = location.substring("s3://".length());
    int slash = rest.indexOf('/');
    String bucket = slash < 0 ? rest : rest.substring(0, slash);
    String prefix = slash < 0 ? "" : strip(rest.substring(slash + 1));
    if (bucket.isEmpty() || bucket.chars().anyMatch(Character::isWhitespace)) {
      throw malformed(location);
    }
    if (prefix.contains("//")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "malformed S3 location '" + location + "': the prefix contains an empty path segment");
    }
    return new String[] {bucket, prefix};
  }

  private static DbsnapException malformed(String location) {
    return new DbsnapException(
        ErrorCode.INVALID_ARGUMENT,
        "malformed S3 location '" + location + "': expected s3://bucket or s3://bucket/prefix");
  }

  private static String strip(String path) {
    int start = 0;
    int end = path.length();
    while (start < end && path.charAt(start) == '/') {
      start++;
    }
    while (end > start && path.charAt(end - 1) == '/') {
      end--;
    }
    return path.substring(start, end);
  }

  /**
   * The endpoint from the settings, else from the variables the AWS CLI reads. The SDK reads the
   * variables too, but dbsnap needs the endpoint itself to choose path-style addressing and to name
   * it in messages.
   */
  private static URI endpointUri(S3Settings s, Map<String, String> env) {
    String url = blankToNull(s.endpointUrl());
    if (url == null && !"true".equalsIgnoreCase(env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))) {
      url = blankToNull(env.get("AWS_ENDPOINT_URL_S3"));
      if (url == null) {
        url = blankToNull(env.get("AWS_ENDPOINT_URL"));
      }
    }
    if (url == null) {
      return null;
    }
    try {
      URI uri = new URI(url);
      if (uri.getHost() == null
          || !("http".equalsIgnoreCase(uri.getScheme())
              || "https".equalsIgnoreCase(uri.getScheme()))) {
        throw new URISyntaxException(url, "expected http://host[:port] or https://host[:port]");
      }
      return uri;
    } catch (URISyntaxException e) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "invalid S3 endpoint URL '"
              + url
              + "': expected http://host[:port] or https://host[:port]",
          e);
    }
  }

  /**
   * The region as the AWS CLI finds it, falling back to us-east-1, which MinIO and R2 accept,
   * rather than failing. The EC2 metadata service is asked only for AWS itself, because off EC2 it
   * costs seconds of timeouts.
   */
  private static String region(S3Settings s, Map<String, String> env, boolean customEndpoint) {
    String region = blankToNull(s.region());
    if (region == null) {
      region = blankToNull(env.get("AWS_REGION"));
    }
    if (region == null) {
      region = blankToNull(env.get("AWS_DEFAULT_REGION"));
    }
    if (region == null) {
      region = blankToNull(System.getProperty("aws.region"));
    }
    if (region == null) {
      region = regionFrom(new AwsProfileRegionProvider());
    }
    if (region == null && !customEndpoint) {
      region = regionFrom(new InstanceProfileRegionProvider());
    }
    return region != null ? region : DEFAULT_REGION;
  }

  private static String regionFrom(
      software.amazon.awssdk.regions.providers.AwsRegionProvider provider) {
    try {
      Region region = provider.getRegion();
      return region == null ? null : blankToNull(region.id());
    } catch (SdkClientException | IllegalStateException e) {
      return null;
    }
  }

  private static AwsCredentialsProvider credentials(S3Settings s) {
    String id = blankToNull(s.accessKeyId());
    String secret = blankToNull(s.secretAccessKey());
    if (id != null && secret != null) {
      return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
    }
    if (id != null || secret != null) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "an S3 access key ID and secret access key must be given together");
    }
    return DefaultCredentialsProvider.builder().build();
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  @Override
  public String describe() {
    return prefix.isEmpty() ? "s3://" + bucket : "s3://" + bucket + "/" + prefix;
  }

  @Override
  public void checkAccess() {
    try {
      client.headBucket(b -> b.bucket(bucket));
    } catch (SdkException e) {
      throw unavailable(e, "checking access");
    }
  }

  @Override
  public void put(String key, byte[] data) {
    String full = fullKey(key);
    try {
      client.putObject(
          b -> b.bucket(bucket).key(full).contentType(OCTET_STREAM), RequestBody.fromBytes(data));
    } catch (SdkException e) {
      throw failure(e, ErrorCode.UPLOAD_FAILED, "writing '" + key + "'");
    }
  }

  @Override
  public dev.dbsnap.storage.MultipartUpload startMultipart(String key, int partSize) {
    // S3 places parts by number and checks sizes itself (5 MiB but the last); the size only has to
    // make sense.
    if (partSize < 1) {
      throw new IllegalArgumentException("part size " + partSize + " is not positive");
    }
    String full = fullKey(key);
    try {
      String uploadId =
          client
              .createMultipartUpload(b -> b.bucket(bucket).key(full).contentType(OCTET_STREAM))
              .uploadId();
      return new Upload(key, full, uploadId);
    } catch (SdkException e) {
      throw failure(e, ErrorCode.UPLOAD_FAILED, "starting a multipart upload of '" + key + "'");
    }
  }

  @Override
  public dev.dbsnap.storage.MultipartUpload resumeMultipart(String key, String uploadId) {
    String full = fullKey(key);
    try {
      // AWS, MinIO and R2 answer NoSuchUpload here for an upload that is gone.
      client.listParts(b -> b.bucket(bucket).key(full).uploadId(uploadId).maxParts(1));
      // Some servers (s3proxy among them) list parts of any upload ID; the listing of unfinished
      // uploads is authoritative everywhere that offers it.
      if (!isListedAsPending(full, uploadId)) {
        throw uploadGone(key, uploadId, null);
      }
      return attachMultipart(key, uploadId);
    } catch (SdkException e) {
      if (e instanceof NoSuchUploadException || statusCode(e) == 404 && !isNoSuchBucket(e)) {
        throw uploadGone(key, uploadId, e);
      }
      throw failure(e, ErrorCode.RESUME_FAILED, "resuming the multipart upload of '" + key + "'");
    }
  }

  /** A handle on an upload that is taken to exist, as resumeMultipart returns after its checks. */
  dev.dbsnap.storage.MultipartUpload attachMultipart(String key, String uploadId) {
    return new Upload(key, fullKey(key), uploadId);
  }

  private boolean isListedAsPending(String fullKey, String uploadId) {
    try {
      for (MultipartUpload upload :
          client.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(fullKey)).uploads()) {
        if (upload.key().equals(fullKey) && upload.uploadId().equals(uploadId)) {
          return true;
        }
      }
      return false;
    } catch (S3Exception e) {
      if (e.statusCode() == 501) {
        return true; // The server cannot list uploads; ListParts has vouched for it.
      }
      throw e;
    }
  }

  private DbsnapException uploadGone(String key, String uploadId, SdkException e) {
    return new DbsnapException(
        ErrorCode.RESUME_FAILED,
        "the multipart upload of '"
            + key
            + "' in "
            + describe()
            + " (upload ID "
            + uploadId
            + ") no longer exists"
            + (e == null ? "" : errorSuffix(e))
            + "; it was completed, aborted or expired",
        e);
  }

  @Override
  public InputStream get(String key) {
    String full = fullKey(key);
    try {
      return client.getObject(b -> b.bucket(bucket).key(full));
    } catch (NoSuchKeyException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "there is no object '" + key + "' in " + describe() + errorSuffix(e),
          e);
    } catch (SdkException e) {
      throw unavailable(e, "reading '" + key + "'");
    }
  }

  @Override
  public Optional<ObjectInfo> head(String key) {
    String full = fullKey(key);
    try {
      var response = client.headObject(b -> b.bucket(bucket).key(full));
      return Optional.of(new ObjectInfo(key, response.contentLength(), unquote(response.eTag())));
    } catch (SdkException e) {
      if (e instanceof NoSuchKeyException || statusCode(e) == 404 && !isNoSuchBucket(e)) {
        return Optional.empty();
      }
      throw unavailable(e, "reading the metadata of '" + key + "'");
    }
  }

  @Override
  public List<ObjectInfo> list(String keyPrefix) {
    String full = fullPrefix(keyPrefix);
    List<ObjectInfo> objects = new ArrayList<>();
    try {
      for (S3Object object :
          client.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(full)).contents()) {
        objects.add(
            new ObjectInfo(relativeKey(object.key()), object.size(), unquote(object.eTag())));
      }
    } catch (SdkException e) {
      throw unavailable(e, "listing '" + keyPrefix + "'");
    }
    objects.sort(Comparator.comparing(ObjectInfo::key));
    return objects;
  }

  @Override
  public void delete(String key) {
    String full = fullKey(key);
    try {
      client.deleteObject(b -> b.bucket(bucket).key(full));
    } catch (NoSuchKeyException e) {
      // Already gone, which is what the caller wanted.
    } catch (SdkException e) {
      throw unavailable(e, "deleting '" + key + "'");
    }
  }

  @Override
  public List<PendingUpload> pendingUploads(String keyPrefix) {
    String full = fullPrefix(keyPrefix);
    List<PendingUpload> uploads = new ArrayList<>();
    try {
      for (MultipartUpload upload :
          client.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(full)).uploads()) {
        uploads.add(
            new PendingUpload(relativeKey(upload.key()), upload.uploadId(), upload.initiated()));
      }
    } catch (SdkException e) {
      throw unavailable(e, "listing the unfinished uploads under '" + keyPrefix + "'");
    }
    uploads.sort(Comparator.comparing(PendingUpload::key).thenComparing(PendingUpload::uploadId));
    return uploads;
  }

  @Override
  public Optional<URI> presignedGet(String key, java.time.Duration ttl) {
    try {
      var request =
          presigner.presignGetObject(
              p ->
                  p.signatureDuration(ttl)
                      .getObjectRequest(g -> g.bucket(bucket).key(fullKey(key))));
      return Optional.of(request.url().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("the SDK presigned a malformed URL for " + key, e);
    } catch (SdkException e) {
      throw new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "cannot presign " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    presigner.close();
    client.close();
    closeQuietly(credentials);
  }

  private static void closeQuietly(AwsCredentialsProvider provider) {
    if (provider instanceof SdkAutoCloseable closeable) {
      closeable.close();
    }
  }

  @Override
  public String toString() {
    return describe();
  }

  private String fullKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/")) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          "invalid object key '" + key + "': keys are non-empty relative paths");
    }
    return prefix.isEmpty() ? key : prefix + "/" + key;
  }

  /**
   * A listing prefix; under a store prefix it always ends in '/' so that sibling prefixes stay out.
   */
  private String fullPrefix(String keyPrefix) {
    String p = keyPrefix == null ? "" : keyPrefix;
    return prefix.isEmpty() ? p : prefix + "/" + p;
  }

  private String relativeKey(String fullKey) {
    return prefix.isEmpty() ? fullKey : fullKey.substring(prefix.length() + 1);
  }

  /** S3 quotes ETags; dbsnap compares them across stores, so it keeps only the value. */
  private static String unquote(String etag) {
    if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
      return etag.substring(1, etag.length() - 1);
    }
    return etag;
  }

  private DbsnapException unavailable(SdkException e, String action) {
    return failure(e, ErrorCode.STORE_UNAVAILABLE, action);
  }

  /**
   * Turns an SDK failure, after the SDK's retries, into one sentence naming the bucket, the
   * endpoint and the S3 error. Denial, a missing bucket and an unreachable endpoint are
   * STORE_UNAVAILABLE whatever the operation, because no retry by dbsnap will help; anything else
   * gets {@code code}.
   */
  private DbsnapException failure(SdkException e, ErrorCode code, String action) {
    String where = "bucket '" + bucket + "' at " + endpoint;
    if (isNoSuchBucket(e)) {
      return new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE, "the " + where + " does not exist" + errorSuffix(e), e);
    }
    int status = statusCode(e);
    if (status == 403 || status == 401) {
      return new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "access to the "
              + where
              + " was denied while "
              + action
              + errorSuffix(e)
              + "; check the credentials and the bucket's permissions",
          e);
    }
    if (!(e instanceof S3Exception)) {
      IOException io = ioCause(e);
      if (io != null) {
        return new DbsnapException(
            ErrorCode.STORE_UNAVAILABLE,
            "cannot reach "
                + endpoint
                + " for bucket '"
                + bucket
                + "' while "
                + action
                + ", retries included ("
                + io.getClass().getSimpleName()
                + (io.getMessage() == null ? "" : ": " + io.getMessage())
                + ")",
            e);
      }
      // Missing credentials or a broken client setup: nothing a retry of the write would fix.
      if (String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
        return new DbsnapException(
            ErrorCode.STORE_UNAVAILABLE,
            "no S3 credentials were found for the "
                + where
                + ": set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, as for the AWS CLI",
            e);
      }
      return new DbsnapException(
          ErrorCode.STORE_UNAVAILABLE,
          "cannot use the " + where + " while " + action + ": " + e.getMessage(),
          e);
    }
    return new DbsnapException(
        code, "S3 request failed while " + action + " in the " + where + errorSuffix(e), e);
  }

  private static boolean isNoSuchBucket(SdkException e) {
    return e instanceof NoSuchBucketException || "NoSuchBucket".equals(errorCode(e));
  }

  private static int statusCode(SdkException e) {
    return e instanceof S3Exception s3 ? s3.statusCode() : -1;
  }

  private static String errorCode(SdkException e) {
    if (e instanceof S3Exception s3) {
      AwsErrorDetails details = s3.awsErrorDetails();
      if (details != null && details.errorCode() != null && !details.errorCode().isBlank()) {
        return details.errorCode();
      }
    }
    return null;
  }

  /**
   * " (S3 error AccessDenied, HTTP 403)"; HEAD responses carry no body, so often only the status.
   */
  private static String errorSuffix(SdkException e) {
    if (!(e instanceof S3Exception s3)) {
      return "";
    }
    String code = errorCode(e);
    String status = "HTTP " + s3.statusCode();
    if (code == null || code.equals(String.valueOf(s3.statusCode()))) {
      return " (" + status + ")";
    }
    return " (S3 error " + code + ", " + status + ")";
  }

  private static IOException ioCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
    }
    return null;
  }

  /** One multipart upload; holds no state beyond its identity, so it is thread-safe. */
  private final class Upload implements dev.dbsnap.storage.MultipartUpload {
    private final String key;
    private final String fullKey;
    private final String uploadId;

    Upload(String key, String fullKey, String uploadId) {
      this.key = key;
      this.fullKey = fullKey;
      this.uploadId = uploadId;
    }

    @Override
    public String key() {
      return key;
    }

    @Override
    public String uploadId() {
      return uploadId;
    }

    @Override
    public String uploadPart(int partNumber, byte[] data, int length) {
      if (partNumber < 1 || partNumber > 10_000) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT, "part number " + partNumber + " is outside 1..10000");
      }
      if (length < 0 || length > data.length) {
        throw new DbsnapException(
            ErrorCode.INVALID_ARGUMENT,
            "part length " + length + " is outside the buffer of " + data.length + " bytes");
      }
      // No copy: the client is synchronous, so every read of the caller's buffer (signing, the
      // request and each retry, which opens a fresh stream) happens before this method returns,
      // and nothing keeps the provider afterwards.
      RequestBody body =
          RequestBody.fromContentProvider(
              () -> new ByteArrayInputStream(data, 0, length), length, OCTET_STREAM);
      try {
        return unquote(
            client
                .uploadPart(
                    b ->
                        b.bucket(bucket)
                            .key(fullKey)
                            .uploadId(uploadId)
                            .partNumber(partNumber)
                            .contentLength((long) length),
                    body)
                .eTag());
      } catch (SdkException e) {
        DbsnapException cause = failure(e, ErrorCode.UPLOAD_FAILED, "uploading it");
        throw new DbsnapException(
            ErrorCode.UPLOAD_FAILED,
            "part "
                + partNumber
                + " of '"
                + key
                + "' could not be uploaded to "
                + describe()
                + ": "
                + cause.getMessage(),
            e);
      }
    }

    @Override
    public void complete(List<CompletedPart> parts) {
      List<software.amazon.awssdk.services.s3.model.CompletedPart> sorted =
          parts.stream()
              .sorted(Comparator.comparingInt(CompletedPart::number))
              .map(
                  p ->
                      software.amazon.awssdk.services.s3.model.CompletedPart.builder()
                          .partNumber(p.number())
                          .eTag(p.etag())
                          .build())
              .toList();
      try {
        client.completeMultipartUpload(
            b ->
                b.bucket(bucket)
                    .key(fullKey)
                    .uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(sorted).build()));
      } catch (SdkException e) {
        throw failure(
            e,
            ErrorCode.UPLOAD_FAILED,
            "completing the multipart upload of '"
                + key
                + "' from "
                + parts.size()
                + (parts.size() == 1 ? " part" : " parts"));
      }
    }

    @Override
    public void abort() {
      try {
        client.abortMultipartUpload(b -> b.bucket(bucket).key(fullKey).uploadId(uploadId));
      } catch (SdkException e) {
        if (e instanceof NoSuchUploadException || statusCode(e) == 404 && !isNoSuchBucket(e)) {
          return;
        }
        throw unavailable(e, "aborting the multipart upload of '" + key + "'");
      }
    }

    @Override
    public String toString() {
      return "multipart upload " + uploadId + " of " + describe() + "/" + key;
    }
  }
}
