package dev.eryx.internal.net.secrets;

import dev.eryx.internal.net.NetException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The outbound filter of a connection no secret is bound to: refuses a write containing any
 * placeholder, also one split across writes (the previous write's tail is kept as context, so the
 * refused write is the one that completes it; nothing of it is sent). Not thread-safe.
 */
final class PlaceholderGuard implements OutboundFilter {
    /** A placeholder and why it may not go here. */
    record Refusal(String placeholder, String reason) {}

    private final byte[][] placeholders;
    private final String[] reasons;
    private final int context;
    private byte[] tail = new byte[0];
    private String refused;

    PlaceholderGuard(List<Refusal> refusals) {
        placeholders = new byte[refusals.size()][];
        reasons = new String[refusals.size()];
        int longest = 0;
        for (int i = 0; i < refusals.size(); i++) {
            placeholders[i] = refusals.get(i).placeholder().getBytes(StandardCharsets.US_ASCII);
            reasons[i] = refusals.get(i).reason();
            longest = Math.max(longest, placeholders[i].length);
        }
        context = Math.max(0, longest - 1);
    }

    @Override
    public byte[] outbound(byte[] b, int off, int len) throws NetException {
        check(b, off, len);
        return Arrays.copyOfRange(b, off, off + len);
    }

    /** Throws if the bytes, after those checked before, complete a placeholder. */
    void check(byte[] b, int off, int len) throws NetException {
        if (refused != null) {
            throw new NetException(NetException.Kind.SECRET, refused);
        }
        if (placeholders.length == 0 || len == 0) {
            return;
        }
        byte[] window = new byte[tail.length + len];
        System.arraycopy(tail, 0, window, 0, tail.length);
        System.arraycopy(b, off, window, tail.length, len);
        for (int p = 0; p < placeholders.length; p++) {
            if (indexOf(window, placeholders[p]) >= 0) {
                refused = reasons[p];
                throw new NetException(NetException.Kind.SECRET, refused);
            }
        }
        int keep = Math.min(context, window.length);
        tail = Arrays.copyOfRange(window, window.length - keep, window.length);
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        byte first = needle[0];
        int last = haystack.length - needle.length;
        outer:
        for (int i = 0; i <= last; i++) {
            if (haystack[i] != first) {
                continue;
            }
            for (int j = 1; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
