package dev.eryx.internal.packages;

import dev.eryx.internal.vfs.ReadOnlyLayer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Validated packages as the guest sees them: one read-only site-packages tree shared by every
 * sandbox (mounted at a fixed guest path), the directories under it that belong on {@code sys.path}
 * in order, and the identities of the distributions it holds.
 *
 * <p>Two layers with the same {@link #fingerprint()} hold the same distributions; images and saved
 * states record the identities and are restored only into sandboxes with the same fingerprint.
 */
public final class PackageLayer {
    private final ReadOnlyLayer tree;
    private final List<String> pathEntries;
    private final List<PackageIdentity> identities;
    private final String fingerprint;

    /**
     * @param tree the site-packages tree
     * @param pathEntries directories relative to the tree's root that go on {@code sys.path}, in
     *     order: {@code ""} (the root itself) first, then the directories named by {@code .pth}
     *     path lines
     * @param identities the distributions, sorted by name
     */
    public PackageLayer(
            ReadOnlyLayer tree, List<String> pathEntries, List<PackageIdentity> identities) {
        this.tree = Objects.requireNonNull(tree, "tree");
        this.pathEntries = List.copyOf(pathEntries);
        this.identities = List.copyOf(identities);
        this.fingerprint = fingerprintOf(this.identities);
    }

    public ReadOnlyLayer tree() {
        return tree;
    }

    public List<String> pathEntries() {
        return pathEntries;
    }

    public List<PackageIdentity> identities() {
        return identities;
    }

    /** SHA-256 over the identities, in order: equal for layers holding the same distributions. */
    public String fingerprint() {
        return fingerprint;
    }

    private static String fingerprintOf(List<PackageIdentity> identities) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (PackageIdentity identity : identities) {
                String line =
                        identity.name()
                                + "\0"
                                + identity.version()
                                + "\0"
                                + identity.sha256()
                                + "\n";
                digest.update(line.getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
