package dev.dbsnap.webhook;

import dev.dbsnap.ErrorCode;
import dev.dbsnap.InvalidInputException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses callback URLs that could make the server call into its own network (server-side request
 * forgery): every address a host resolves to must be public, unless the host, the address or a
 * range holding it is on the allow-list. Immutable and safe to share between threads.
 */
public final class CallbackGuard {
  private static final Set<InetAddress> METADATA =
      Set.of(
          AddressRange.literal("169.254.169.254"),
          AddressRange.literal("100.100.100.200"),
          AddressRange.literal("fd00:ec2::254"));
  private static final AddressRange CGNAT =
      new AddressRange(AddressRange.literal("100.64.0.0"), 10);
  private static final AddressRange THIS_NETWORK =
      new AddressRange(AddressRange.literal("0.0.0.0"), 8);
  private static final AddressRange RESERVED =
      new AddressRange(AddressRange.literal("240.0.0.0"), 4);
  private static final AddressRange UNIQUE_LOCAL =
      new AddressRange(AddressRange.literal("fc00::"), 7);
  private static final AddressRange NAT64 = new AddressRange(AddressRange.literal("64:ff9b::"), 96);
  private static final InetAddress BROADCAST = AddressRange.literal("255.255.255.255");

  private final List<HostPattern> allowed;

  /**
   * A guard that lets through the given host names (exact, any case), addresses and CIDR ranges
   * ({@code 10.0.0.0/8}, {@code fd00::/8}) although they are internal; entries are read by {@link
   * HostPattern#parse}.
   *
   * @throws IllegalArgumentException quoting the first entry that is none of these
   */
  public CallbackGuard(List<String> allowHosts) {
    this.allowed = allowHosts.stream().map(HostPattern::parse).toList();
  }

  /**
   * Checks that {@code url} is an http(s) URL without user info whose host resolves only to
   * addresses that are public or allowed.
   *
   * @throws InvalidInputException with {@link ErrorCode#INVALID_ARGUMENT} and {@code field}, naming
   *     the host and why it is refused
   */
  public void check(URI url, String field) {
    resolve(url, field);
  }

  /**
   * Resolves the host of {@code url} and checks it as {@link #check} does, for use again right
   * before each delivery so that a host that now resolves elsewhere is caught.
   *
   * @return every address the host resolves to, all public or allowed
   * @throws InvalidInputException as {@link #check}, for the field {@code callbackUrl}
   */
  public List<InetAddress> resolveAllowed(URI url) {
    return resolve(url, "callbackUrl");
  }

  private List<InetAddress> resolve(URI url, String field) {
    if (url == null) {
      throw refuse(field, field + " is missing");
    }
    String scheme = url.getScheme() == null ? null : url.getScheme().toLowerCase(Locale.ROOT);
    if (!"http".equals(scheme) && !"https".equals(scheme)) {
      throw refuse(
          field,
          field
              + " must be an http or https URL, not "
              + (scheme == null ? "a relative one" : scheme));
    }
    // Never quote user info: it is usually a password.
    if (url.getRawUserInfo() != null) {
      throw refuse(field, field + " must not carry user info (user:password@) before its host");
    }
    String host = url.getHost();
    if (host == null || host.isEmpty()) {
      throw refuse(field, field + " has no valid host");
    }
    String bare =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    boolean hostAllowed = allowed.stream().anyMatch(p -> p.names(bare));
    InetAddress[] addresses;
    try {
      // The JDK's address cache (30 s by default) makes the HTTP client's own lookup right after
      // this
      // one return these same addresses, which narrows the window for DNS rebinding.
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException | SecurityException e) {
      throw refuse(field, field + " host " + host + " cannot be resolved");
    }
    if (!hostAllowed) {
      for (InetAddress address : addresses) {
        String reason = internal(address);
        if (reason != null && !allowed(address)) {
          // A literal resolves to an address without a name, shown as "/1.2.3.4".
          boolean literal = address.toString().startsWith("/");
          String shown = literal ? host : host + " (" + address.getHostAddress() + ")";
          throw refuse(
              field,
              field + " host " + shown + " is " + reason + "; allow it with webhooks.allowHosts");
        }
      }
    }
    return List.of(addresses);
  }

  private boolean allowed(InetAddress address) {
    InetAddress embedded = embeddedIpv4(address);
    for (HostPattern pattern : allowed) {
      if (pattern.contains(address) || (embedded != null && pattern.contains(embedded))) {
        return true;
      }
    }
    return false;
  }

  /** Why an address is internal ("a loopback address"), or null when it is public. */
  static String internal(InetAddress address) {
    if (METADATA.contains(address)) {
      return "a cloud metadata address";
    }
    if (address.isAnyLocalAddress() || THIS_NETWORK.contains(address)) {
      return "an unspecified (this-host) address";
    }
    if (address.isLoopbackAddress()) {
      return "a loopback address";
    }
    if (address.isLinkLocalAddress()) {
      return "a link-local address";
    }
    if (address.isSiteLocalAddress() || UNIQUE_LOCAL.contains(address)) {
      return "a private address";
    }
    if (CGNAT.contains(address)) {
      return "a carrier-grade NAT address";
    }
    if (address.isMulticastAddress()) {
      return "a multicast address";
    }
    if (address.equals(BROADCAST)) {
      return "a broadcast address";
    }
    if (RESERVED.contains(address)) {
      return "a reserved address";
    }
    InetAddress embedded = embeddedIpv4(address);
    if (embedded != null) {
      String reason = internal(embedded);
      if (reason != null) {
        return "an IPv6 form of " + embedded.getHostAddress() + ", " + reason;
      }
    }
    return null;
  }

  /**
   * The IPv4 address inside an IPv4-compatible ({@code ::a.b.c.d}) or NAT64 ({@code
   * 64:ff9b::a.b.c.d}) IPv6 address, or null. IPv4-mapped addresses need no care: the JDK turns
   * them into IPv4 ones.
   */
  private static InetAddress embeddedIpv4(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return null;
    }
    byte[] bytes = address.getAddress();
    boolean compatible = true;
    for (int i = 0; i < 12; i++) {
      compatible &= bytes[i] == 0;
    }
    if (!compatible && !NAT64.contains(address)) {
      return null;
    }
    try {
      return InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static InvalidInputException refuse(String field, String message) {
    return new InvalidInputException(ErrorCode.INVALID_ARGUMENT, field, message);
  }
}
