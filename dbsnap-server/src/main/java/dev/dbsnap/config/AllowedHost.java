package dev.dbsnap.config;

import java.util.regex.Pattern;

/**
 * Checks the shape of a {@code webhooks.allowHosts} entry: a host name, an IP address, or a CIDR
 * range.
 */
final class AllowedHost {
  private static final Pattern HOST_NAME =
      Pattern.compile(
          "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\\.?");
  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private AllowedHost() {}

  /**
   * What is wrong with {@code entry}, or null when it is a host name, an address or a CIDR range.
   */
  static String problem(String entry) {
    int slash = entry.indexOf('/');
    String address = slash < 0 ? entry : entry.substring(0, slash);
    if (address.startsWith("[") && address.endsWith("]")) {
      address = address.substring(1, address.length() - 1);
    }
    boolean v4 = isIpv4(address);
    boolean v6 = !v4 && IPV6.matcher(address).matches();
    if (slash >= 0) {
      if (!v4 && !v6) {
        return "'" + entry + "' is not a CIDR range such as 10.0.0.0/8 or fd00::/8";
      }
      int max = v4 ? 32 : 128;
      String bits = entry.substring(slash + 1);
      if (!bits.matches("\\d{1,3}") || Integer.parseInt(bits) > max) {
        return "'" + entry + "' has a prefix length that is not between 0 and " + max;
      }
      return null;
    }
    if (v4 || v6 || (HOST_NAME.matcher(address).matches() && !address.matches("[0-9.]+"))) {
      return null;
    }
    return "'" + entry + "' is not a host name, an IP address or a CIDR range";
  }

  private static boolean isIpv4(String s) {
    var m = IPV4.matcher(s);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 4; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return true;
  }
}
