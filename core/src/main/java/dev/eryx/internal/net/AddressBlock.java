package dev.eryx.internal.net;

/**
 * A CIDR block ({@code 10.0.0.0/8}, {@code fc00::/7}). Contract stub of issue 17 (owner: policy).
 */
public final class AddressBlock {
    private final String text;

    private AddressBlock(String text) {
        this.text = text;
    }

    public static AddressBlock parse(String cidr) {
        if (cidr == null || cidr.isBlank()) {
            throw new IllegalArgumentException("empty address block");
        }
        return new AddressBlock(cidr.trim());
    }

    @Override
    public String toString() {
        return text;
    }
}
