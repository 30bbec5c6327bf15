package dev.dbsnap.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.dbsnap.DbsnapException;
import dev.dbsnap.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a YAML configuration file into {@link Settings}, strictly: an unknown key, a secret written
 * in the file, or a value of the wrong shape is an error naming its path.
 */
final class ConfigFile {
  /** The keys each section may hold. */
  static final Map<String, Set<String>> SECTIONS =
      Map.of(
          "http", Set.of("host", "port", "maxBodyBytes"),
          "control", Set.of("url", "user", "passwordEnv", "poolSize"),
          "store", Set.of("location", "endpointUrl", "region", "pathStyle", "presignTtl"),
          "workers",
              Set.of(
                  "count",
                  "leaseTtl",
                  "heartbeat",
                  "poll",
                  "maxAttempts",
                  "retryBackoff",
                  "maxRunTime",
                  "uploadConcurrency"),
          "webhooks", Set.of("secretEnv", "allowHosts", "timeout", "retryBase", "retryFor"),
          "retention", Set.of("exports", "orphanUploads", "janitorInterval"),
          "snapshots",
              Set.of(
                  "presignTtl",
                  "grace",
                  "leaseTtl",
                  "maxBytes",
                  "maxTotalBytes",
                  "reapEvery",
                  "partSize"));

  static final Set<String> SOURCE_KEYS = Set.of("url", "user", "passwordEnv");
  static final Set<String> TOKEN_KEYS = Set.of("name", "sha256", "sources");

  private static final YAMLMapper YAML =
      YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

  private final String origin;
  private final Settings settings;
  final List<String> sourceNames = new ArrayList<>();

  /**
   * The paths of the {@code tokens} entries ({@code tokens[0]}, ...), whose keys are in the
   * settings.
   */
  final List<String> tokens = new ArrayList<>();

  private ConfigFile(String origin, Settings settings) {
    this.origin = origin;
    this.settings = settings;
  }

  /**
   * Reads {@code file} into {@code settings}.
   *
   * @throws DbsnapException INVALID_ARGUMENT when the file cannot be read or holds a bad setting
   */
  static ConfigFile read(Path file, Settings settings) {
    String origin = file.toString();
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, origin + ": the configuration file does not exist");
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT,
          origin
              + (at != null ? ": line " + at.getLineNr() : "")
              + ": not valid YAML: "
              + yamlProblem(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new DbsnapException(
          ErrorCode.INVALID_ARGUMENT, origin + ": cannot read the configuration file: " + e);
    }
    ConfigFile f = new ConfigFile(origin, settings);
    settings.fileOrigin(origin);
    if (root == null || root.isNull() || root.isMissingNode()) {
      return f; // an empty file: everything from the environment and the defaults
    }
    f.mapping(root, "", "the file");
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String section = e.getKey();
      switch (section) {
        case "sources" -> f.sources(e.getValue());
        case "tokens" -> f.tokens(e.getValue());
        default -> {
          Set<String> keys = SECTIONS.get(section);
          if (keys == null) {
            throw f.unknown(section);
          }
          f.section(section, e.getValue(), keys);
        }
      }
    }
    return f;
  }

  /** SnakeYAML's message without its indented excerpt lines, which repeat the file. */
  private static String yamlProblem(String message) {
    return String.join(
        ", ",
        message.lines().filter(l -> !l.isBlank() && !Character.isWhitespace(l.charAt(0))).toList());
  }

  private void section(String path, JsonNode node, Set<String> keys) {
    if (node.isNull()) {
      return;
    }
    mapping(node, path, "a mapping of settings");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String key = path + "." + e.getKey();
      if (!keys.contains(e.getKey())) {
        refuseSecret(key, e.getKey());
        throw unknown(key);
      }
      settings.put(key, e.getValue(), origin);
    }
  }

  private void sources(JsonNode node) {
    if (node.isNull()) {
      return;
    }
    mapping(node, "sources", "a mapping from source name to its settings");
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = "sources." + e.getKey();
      if (!e.getValue().isObject()) {
        throw Settings.error(origin, path, "expected a mapping with url (and user, passwordEnv)");
      }
      sourceNames.add(e.getKey());
      section(path, e.getValue(), SOURCE_KEYS);
    }
  }

  private void tokens(JsonNode node) {
    if (node.isNull()) {
      return;
    }
    if (!node.isArray()) {
      throw Settings.error(origin, "tokens", "expected a list of {name, sha256, sources}");
    }
    for (int i = 0; i < node.size(); i++) {
      String path = "tokens[" + i + "]";
      JsonNode token = node.get(i);
      mapping(token, path, "a mapping with name, sha256 and sources");
      for (Iterator<String> keys = token.fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (!TOKEN_KEYS.contains(key)) {
          if (key.equals("token") || key.equals("value")) {
            throw Settings.error(
                origin,
                path + "." + key,
                "tokens are not written in the file; give their sha256"
                    + " (printf %s \"$TOKEN\" | sha256sum)");
          }
          throw unknown(path + "." + key);
        }
        settings.put(path + "." + key, token.get(key), origin);
      }
      tokens.add(path);
    }
  }

  private void mapping(JsonNode node, String path, String expected) {
    if (!node.isObject()) {
      throw Settings.error(origin, path.isEmpty() ? "(top level)" : path, "expected " + expected);
    }
  }

  private void refuseSecret(String path, String key) {
    if (key.equals("password") || key.equals("secret")) {
      throw Settings.error(
          origin,
          path,
          "secrets do not belong in configuration files; put it in an environment "
              + "variable and name that with "
              + key
              + "Env");
    }
  }

  private DbsnapException unknown(String path) {
    return new DbsnapException(
        ErrorCode.INVALID_ARGUMENT, origin + ": unknown setting '" + path + "'");
  }
}
