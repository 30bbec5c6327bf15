package dev.dbsnap.webhook;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An address range; IPv4 ranges never hold IPv6 addresses and the reverse. */
record AddressRange(byte[] network, int prefix) {
  private static final Pattern IPV4 =
      Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  AddressRange(InetAddress address, int prefix) {
    this(address.getAddress(), prefix);
  }

  AddressRange {
    if (prefix < 0 || prefix > network.length * 8) {
      throw new IllegalArgumentException("prefix length " + prefix + " is out of range");
    }
    network = network.clone();
  }

  boolean contains(InetAddress address) {
    byte[] bytes = address.getAddress();
    if (bytes.length != network.length) {
      return false;
    }
    for (int bit = 0; bit < prefix; bit++) {
      int mask = 0x80 >>> (bit % 8);
      if ((bytes[bit / 8] & mask) != (network[bit / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /**
   * An IPv4 dotted quad or IPv6 literal, parsed without any DNS lookup; null when it is neither.
   */
  static InetAddress parseLiteral(String text) {
    try {
      Matcher v4 = IPV4.matcher(text);
      if (v4.matches()) {
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
          int octet = Integer.parseInt(v4.group(i + 1));
          if (octet > 255) {
            return null;
          }
          bytes[i] = (byte) octet;
        }
        return InetAddress.getByAddress(bytes);
      }
      if (text.contains(":") && !text.contains("%") && !text.contains("[") && !text.contains("]")) {
        // Brackets make the JDK treat the text as an IPv6 literal or fail: it never asks DNS.
        return InetAddress.getByName("[" + text + "]");
      }
      return null;
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** A literal known to be valid, for constants. */
  static InetAddress literal(String text) {
    InetAddress address = parseLiteral(text);
    if (address == null) {
      throw new IllegalStateException(text);
    }
    return address;
  }
}
