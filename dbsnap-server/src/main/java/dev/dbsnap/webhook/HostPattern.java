package dev.dbsnap.webhook;

import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One entry of {@code webhooks.allowHosts}: a host name (matched exactly, in any case, with or
 * without a trailing dot), an IP address, or a CIDR range ({@code 10.0.0.0/8}, {@code fd00::/8}).
 * The configuration loader checks entries with {@link #parse} and {@link CallbackGuard} matches
 * with them, so an entry is accepted by one exactly when it is by the other. Host names may hold
 * {@code _}, which DNS allows and real names (service records, some cloud hosts) use. Immutable.
 */
public final class HostPattern {
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\\.?",
          Pattern.CASE_INSENSITIVE);
  private static final int MAX_HOST_LENGTH = 254;

  private final String entry;
  private final String host;
  private final AddressRange range;

  private HostPattern(String entry, String host, AddressRange range) {
    this.entry = entry;
    this.host = host;
    this.range = range;
  }

  /**
   * Reads one allow-list entry.
   *
   * @throws IllegalArgumentException quoting the entry, when it is empty or is neither a host name,
   *     an IP address nor a CIDR range with a prefix length that fits its address
   */
  public static HostPattern parse(String entry) {
    String e = entry == null ? "" : entry.strip();
    if (e.isEmpty()) {
      throw new IllegalArgumentException("entry '" + (entry == null ? "" : entry) + "' is empty");
    }
    int slash = e.indexOf('/');
    if (slash >= 0) {
      InetAddress network = AddressRange.parseLiteral(unbracket(e.substring(0, slash)));
      if (network == null) {
        throw new IllegalArgumentException(
            "'" + entry + "' is not a CIDR range such as 10.0.0.0/8 or fd00::/8");
      }
      int bits = network.getAddress().length * 8;
      String prefix = e.substring(slash + 1);
      if (!prefix.matches("[0-9]{1,3}") || Integer.parseInt(prefix) > bits) {
        throw new IllegalArgumentException(
            "'" + entry + "' has a prefix length that is not between 0 and " + bits);
      }
      return new HostPattern(entry, null, new AddressRange(network, Integer.parseInt(prefix)));
    }
    if (e.contains(":") || e.matches("[0-9.]+")) {
      InetAddress address = AddressRange.parseLiteral(unbracket(e));
      if (address == null) {
        throw new IllegalArgumentException("'" + entry + "' is not a valid IP address");
      }
      return new HostPattern(
          entry, null, new AddressRange(address, address.getAddress().length * 8));
    }
    if (e.length() <= MAX_HOST_LENGTH && HOST_NAME.matcher(e).matches()) {
      return new HostPattern(entry, normalName(e), null);
    }
    throw new IllegalArgumentException(
        "'" + entry + "' is not a host name, an IP address or a CIDR range");
  }

  /** True when this is a host name entry naming {@code host} (as written in a URL). */
  boolean names(String host) {
    return this.host != null && this.host.equals(normalName(unbracket(host)));
  }

  /** True when this is an address or range entry holding {@code address}. */
  boolean contains(InetAddress address) {
    return range != null && range.contains(address);
  }

  private static String normalName(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
  }

  private static String unbracket(String s) {
    return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
  }

  /** The entry as it was written. */
  @Override
  public String toString() {
    return entry;
  }
}
