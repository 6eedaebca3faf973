package dev.eryx.internal.net;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Classifies an address against our own table of loopback, private and special ranges, over raw
 * bytes. The JDK's {@code isSiteLocalAddress} and friends miss 0.0.0.0/8, 100.64.0.0/10, fc00::/7,
 * 64:ff9b::/96 and 2002::/16, so they are not used. IPv6 forms that carry an IPv4 address (mapped
 * {@code ::ffff:0:0/96}, NAT64 {@code 64:ff9b::/96}, 6to4 {@code 2002::/16}) are judged by the IPv4
 * address inside. Stateless.
 */
public final class AddressRanges {
    /** What kind of range; decides which policy call admits it. */
    public enum Category {
        /** 127.0.0.0/8, ::1: admitted by allowLocalhost. */
        LOOPBACK,
        /** 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7: admitted by allowPrivateNetworks. */
        PRIVATE,
        /** Everything else in the table: admitted only by allowAddress. */
        SPECIAL
    }

    /** A refused range an address lies in, with the reason to show. */
    public record Range(Category category, String reason) {}

    private record Entry(AddressBlock block, Category category, String what) {}

    private static final List<Entry> V4 =
            List.of(
                    entry("0.0.0.0/8", Category.SPECIAL, "an unspecified (this-network) address"),
                    entry("10.0.0.0/8", Category.PRIVATE, "private (10.0.0.0/8)"),
                    entry(
                            "100.64.0.0/10",
                            Category.PRIVATE,
                            "private (carrier-grade NAT, 100.64.0.0/10)"),
                    entry("127.0.0.0/8", Category.LOOPBACK, "loopback"),
                    entry(
                            "169.254.169.254/32",
                            Category.SPECIAL,
                            "link-local (cloud metadata lives there)"),
                    entry("169.254.0.0/16", Category.SPECIAL, "link-local"),
                    entry("172.16.0.0/12", Category.PRIVATE, "private (172.16.0.0/12)"),
                    entry(
                            "192.0.0.0/24",
                            Category.SPECIAL,
                            "reserved for IETF protocol assignments"),
                    entry("192.0.2.0/24", Category.SPECIAL, "reserved for documentation"),
                    entry(
                            "192.88.99.0/24",
                            Category.SPECIAL,
                            "a 6to4 relay anycast address (deprecated)"),
                    entry("192.168.0.0/16", Category.PRIVATE, "private (192.168.0.0/16)"),
                    entry("198.18.0.0/15", Category.SPECIAL, "reserved for benchmarking"),
                    entry("198.51.100.0/24", Category.SPECIAL, "reserved for documentation"),
                    entry("203.0.113.0/24", Category.SPECIAL, "reserved for documentation"),
                    entry("224.0.0.0/4", Category.SPECIAL, "multicast"),
                    entry("255.255.255.255/32", Category.SPECIAL, "the broadcast address"),
                    entry("240.0.0.0/4", Category.SPECIAL, "reserved (240.0.0.0/4)"));

    private static final List<Entry> V6 =
            List.of(
                    entry("::/128", Category.SPECIAL, "the unspecified address"),
                    entry("::1/128", Category.LOOPBACK, "loopback"),
                    entry(
                            "::/96",
                            Category.SPECIAL,
                            "an IPv4-compatible IPv6 address (deprecated)"),
                    entry("100::/64", Category.SPECIAL, "a discard-only address"),
                    entry("2001::/32", Category.SPECIAL, "a Teredo tunnel address"),
                    entry("2001:2::/48", Category.SPECIAL, "reserved for benchmarking"),
                    entry("2001:10::/28", Category.SPECIAL, "reserved (ORCHID)"),
                    entry("2001:20::/28", Category.SPECIAL, "reserved (ORCHIDv2)"),
                    entry("2001:db8::/32", Category.SPECIAL, "reserved for documentation"),
                    entry("3fff::/20", Category.SPECIAL, "reserved for documentation"),
                    entry("fc00::/7", Category.PRIVATE, "private (unique local, fc00::/7)"),
                    entry("fe80::/10", Category.SPECIAL, "link-local"),
                    entry("fec0::/10", Category.SPECIAL, "site-local (deprecated)"),
                    entry("ff00::/8", Category.SPECIAL, "multicast"));

    private static final AddressBlock NAT64 = AddressBlock.parse("64:ff9b::/96");
    private static final AddressBlock NAT64_LOCAL = AddressBlock.parse("64:ff9b:1::/48");
    private static final AddressBlock SIX_TO_FOUR = AddressBlock.parse("2002::/16");

    private AddressRanges() {}

    private static Entry entry(String cidr, Category category, String what) {
        return new Entry(AddressBlock.parse(cidr), category, what);
    }

    /** True for {@code ::ffff:0:0/96}. */
    static boolean isMapped(byte[] a) {
        if (a.length != 16) {
            return false;
        }
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /** The range the address lies in, or empty for an ordinary public address. */
    public static Optional<Range> classify(InetAddress address) {
        return classify(address.getAddress());
    }

    /** Raw-bytes form of {@link #classify(InetAddress)}. */
    public static Optional<Range> classify(byte[] a) {
        String text = IpLiteral.format(a);
        if (a.length == 4) {
            return lookup(V4, a, text, "");
        }
        if (isMapped(a)) {
            return lookup(V4, Arrays.copyOfRange(a, 12, 16), text, "an IPv4-mapped address of ");
        }
        if (NAT64.contains(a)) {
            return lookup(V4, Arrays.copyOfRange(a, 12, 16), text, "a NAT64 address of ");
        }
        if (NAT64_LOCAL.contains(a)) {
            return Optional.of(
                    new Range(
                            Category.PRIVATE,
                            text + " is a local-use NAT64 address (64:ff9b:1::/48)"));
        }
        if (SIX_TO_FOUR.contains(a)) {
            return lookup(V4, Arrays.copyOfRange(a, 2, 6), text, "a 6to4 address of ");
        }
        return lookup(V6, a, text, "");
    }

    private static Optional<Range> lookup(List<Entry> table, byte[] a, String text, String via) {
        for (Entry e : table) {
            if (e.block.contains(a)) {
                String inner = via.isEmpty() ? "" : via + IpLiteral.format(a) + ", which is ";
                return Optional.of(new Range(e.category, text + " is " + inner + e.what));
            }
        }
        return Optional.empty();
    }

    /** How to admit an address of this range, as the end of a refusal message. */
    static String remedy(Range range, InetAddress address) {
        String one =
                IpLiteral.format(address) + (address.getAddress().length == 4 ? "/32" : "/128");
        return switch (range.category()) {
            case LOOPBACK -> "allow it with allowLocalhost()";
            case PRIVATE -> "allow it with allowPrivateNetworks() or allowAddress(\"" + one + "\")";
            case SPECIAL -> "allow it with allowAddress(\"" + one + "\")";
        };
    }
}
