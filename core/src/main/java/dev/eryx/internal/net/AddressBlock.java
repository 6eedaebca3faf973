package dev.eryx.internal.net;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * A CIDR block ({@code 10.0.0.0/8}, {@code fc00::/7}, or one address without a prefix length),
 * compared over raw bytes. An IPv4-mapped IPv6 block or address ({@code ::ffff:a.b.c.d}) is taken
 * as the IPv4 one, so a mapped address never slips past an IPv4 block. Immutable.
 */
public final class AddressBlock {
    private final byte[] network;
    private final int prefix;

    private AddressBlock(byte[] network, int prefix) {
        this.network = network;
        this.prefix = prefix;
    }

    /**
     * Parses {@code address[/prefix]}; the address in any literal form {@link IpLiteral} accepts.
     *
     * @throws IllegalArgumentException not an address, a prefix out of range, or host bits set
     *     ({@code 10.0.0.1/8}: the message names the block meant)
     */
    public static AddressBlock parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("empty address block");
        }
        String text = cidr.trim();
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        byte[] bytes = IpLiteral.parseBytes(addr);
        if (bytes == null) {
            throw new IllegalArgumentException(
                    "not an IP address or CIDR block: \""
                            + cidr
                            + "\" (write e.g. 169.254.169.254/32 or fd00::/8)");
        }
        int bits = bytes.length * 8;
        int prefix = bits;
        if (slash >= 0) {
            String p = text.substring(slash + 1);
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new IllegalArgumentException("bad prefix length in \"" + cidr + "\"");
            }
            prefix = Integer.parseInt(p);
            if (prefix > bits) {
                throw new IllegalArgumentException(
                        "prefix length " + prefix + " is above " + bits + " in \"" + cidr + "\"");
            }
        }
        if (bytes.length == 16 && AddressRanges.isMapped(bytes)) {
            if (prefix < 96) {
                throw new IllegalArgumentException(
                        "an IPv4-mapped block needs a prefix length of at least 96: \""
                                + cidr
                                + "\"");
            }
            bytes = Arrays.copyOfRange(bytes, 12, 16);
            prefix -= 96;
        }
        byte[] network = mask(bytes, prefix);
        if (!Arrays.equals(network, bytes)) {
            throw new IllegalArgumentException(
                    "\""
                            + cidr
                            + "\" has host bits set; did you mean "
                            + IpLiteral.format(network)
                            + "/"
                            + prefix
                            + "?");
        }
        return new AddressBlock(network, prefix);
    }

    /** The block of the given bytes and prefix (used for the built-in tables). */
    static AddressBlock of(byte[] network, int prefix) {
        return new AddressBlock(mask(network, prefix), prefix);
    }

    /** True if the address lies in this block (mapped IPv6 addresses compared as IPv4). */
    public boolean contains(InetAddress address) {
        return contains(address.getAddress());
    }

    /** Raw-bytes form of {@link #contains(InetAddress)}. */
    public boolean contains(byte[] address) {
        byte[] a = address;
        if (a.length == 16 && network.length == 4 && AddressRanges.isMapped(a)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length != network.length) {
            return false;
        }
        int full = prefix / 8;
        for (int i = 0; i < full; i++) {
            if (a[i] != network[i]) {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int m = (0xff << (8 - rest)) & 0xff;
        return (a[full] & m) == (network[full] & m);
    }

    private static byte[] mask(byte[] bytes, int prefix) {
        byte[] out = bytes.clone();
        for (int i = 0; i < out.length; i++) {
            int keep = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] = (byte) (out[i] & ((0xff << (8 - keep)) & 0xff));
        }
        return out;
    }

    /** Canonical text: {@code 10.0.0.0/8}, {@code fc00::/7}. */
    @Override
    public String toString() {
        return IpLiteral.format(network) + "/" + prefix;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AddressBlock b
                && b.prefix == prefix
                && Arrays.equals(b.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefix;
    }
}
