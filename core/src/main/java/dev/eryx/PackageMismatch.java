package dev.eryx;

import dev.eryx.internal.packages.PackageIdentity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checks that a sandbox's packages agree with its image's and with a saved state's, and their
 * messages: each names what differs and how to fix it.
 */
final class PackageMismatch {
    private PackageMismatch() {}

    /**
     * @param fromImage the image's packages, or null when it has none (any packages then fit)
     * @throws IllegalArgumentException the image holds other packages than {@code given}
     */
    static void checkImage(PythonPackages fromImage, PythonPackages given) {
        if (fromImage == null
                || fromImage.layer().fingerprint().equals(given.layer().fingerprint())) {
            return;
        }
        List<PackageIdentity> image = fromImage.layer().identities();
        List<PackageIdentity> builder = given.layer().identities();
        throw new IllegalArgumentException(
                "the image was captured with the packages "
                        + describe(image, builder)
                        + " but the builder was given "
                        + describe(builder, image)
                        + ": give the builder the image's PythonPackages (or leave packages() out"
                        + " to use them), or capture an image with these packages"
                        + " (SandboxImage.capture(packages, modules...))");
    }

    /**
     * @param saved the packages the saved state records (empty: none)
     * @param here the packages the restoring builder gives (empty: none)
     * @throws IllegalArgumentException they differ; the message lists each difference
     */
    static void checkState(List<PackageIdentity> saved, List<PackageIdentity> here) {
        if (saved.equals(here)) {
            return;
        }
        Map<String, PackageIdentity> inState = byName(saved);
        Map<String, PackageIdentity> inBuilder = byName(here);
        List<String> differences = new ArrayList<>();
        for (PackageIdentity s : saved) {
            PackageIdentity h = inBuilder.get(s.name());
            if (h == null) {
                differences.add(s.name() + " " + s.version() + " missing here");
            } else if (!h.version().equals(s.version())) {
                differences.add(
                        s.name()
                                + " "
                                + h.version()
                                + " here but "
                                + s.version()
                                + " in the state");
            } else if (!h.sha256().equals(s.sha256())) {
                differences.add(
                        s.name()
                                + " "
                                + s.version()
                                + " with other files here (sha256 "
                                + abbreviate(h.sha256())
                                + ", in the state "
                                + abbreviate(s.sha256())
                                + ")");
            }
        }
        for (PackageIdentity h : here) {
            if (!inState.containsKey(h.name())) {
                differences.add(h.name() + " " + h.version() + " here but not in the state");
            }
        }
        if (differences.isEmpty()) { // same set, other order: not made by PythonPackages
            differences.add("the same packages in another order");
        }
        throw new IllegalArgumentException(
                "the saved state was made by a sandbox with other packages; give the builder the"
                        + " same PythonPackages (Sandbox.Builder.packages, or an image holding"
                        + " them): "
                        + String.join(", ", differences));
    }

    /**
     * "a 1.0, b 2.0", or "(none)"; with digests when {@code other} has the same names and versions
     * (so that the two descriptions differ where the sets do).
     */
    private static String describe(List<PackageIdentity> packages, List<PackageIdentity> other) {
        if (packages.isEmpty()) {
            return "(none)";
        }
        boolean sameNamesAndVersions = namesAndVersions(packages).equals(namesAndVersions(other));
        List<String> parts = new ArrayList<>();
        for (PackageIdentity p : packages) {
            parts.add(
                    p.name()
                            + " "
                            + p.version()
                            + (sameNamesAndVersions
                                    ? " (sha256 " + abbreviate(p.sha256()) + ")"
                                    : ""));
        }
        return String.join(", ", parts);
    }

    private static List<String> namesAndVersions(List<PackageIdentity> packages) {
        List<String> list = new ArrayList<>();
        for (PackageIdentity p : packages) {
            list.add(p.name() + " " + p.version());
        }
        return list;
    }

    private static Map<String, PackageIdentity> byName(List<PackageIdentity> packages) {
        Map<String, PackageIdentity> map = new LinkedHashMap<>();
        for (PackageIdentity p : packages) {
            map.put(p.name(), p);
        }
        return map;
    }

    private static String abbreviate(String sha256) {
        return sha256.length() > 12 ? sha256.substring(0, 12) + "..." : sha256;
    }
}
