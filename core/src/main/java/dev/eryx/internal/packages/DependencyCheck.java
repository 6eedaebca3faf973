package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks that every {@code Requires-Dist} whose markers apply to the guest ({@link
 * MarkerEnvironment#wasi()}: no extras) is satisfied by a distribution of the set, so a missing
 * package is reported when the packages are read, with every problem at once, not at import time.
 */
final class DependencyCheck {
    private DependencyCheck() {}

    /**
     * @param byName the distributions by normalized name
     * @param ignored normalized names whose requirements are not checked
     * @throws IllegalArgumentException listing every missing or mismatching requirement
     */
    static void check(Map<String, FoundDistribution> byName, Set<String> ignored) {
        MarkerEnvironment environment = MarkerEnvironment.wasi();
        List<String> problems = new ArrayList<>();
        for (FoundDistribution d : byName.values()) {
            for (String line : d.requires) {
                Requirement requirement;
                boolean applies;
                try {
                    requirement = Requirement.parse(line);
                    applies = requirement.appliesTo(environment);
                } catch (IllegalArgumentException e) {
                    problems.add(
                            d.name
                                    + " "
                                    + d.version
                                    + " has a Requires-Dist that cannot be read: "
                                    + line
                                    + " ("
                                    + e.getMessage()
                                    + ")");
                    continue;
                }
                if (!applies || ignored.contains(requirement.normalizedName())) {
                    continue;
                }
                String wanted = withoutMarker(line);
                FoundDistribution provider = byName.get(requirement.normalizedName());
                if (provider == null) {
                    problems.add(
                            d.name
                                    + " "
                                    + d.version
                                    + " requires "
                                    + wanted
                                    + ", which is not among the packages");
                    continue;
                }
                boolean contained;
                try {
                    contained =
                            requirement.specifier().toString().isEmpty()
                                    || requirement
                                            .specifier()
                                            .contains(Version.parse(provider.version));
                } catch (IllegalArgumentException e) {
                    contained = false; // a version PEP 440 cannot read satisfies no specifier
                }
                if (!contained) {
                    problems.add(
                            d.name
                                    + " "
                                    + d.version
                                    + " requires "
                                    + wanted
                                    + ", but the packages hold "
                                    + provider.name
                                    + " "
                                    + provider.version);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(
                    "unmet dependencies (add the missing wheels, or ignore them with"
                            + " PythonPackages.builder().ignoreMissing(...), in the CLI"
                            + " --ignore-missing NAME):\n  "
                            + String.join("\n  ", problems));
        }
    }

    private static String withoutMarker(String line) {
        int semicolon = line.indexOf(';');
        return (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
    }
}
