package dev.eryx.internal.packages;

import java.util.List;
import java.util.Map;

/**
 * What one source (a wheel or an installed tree) contributes: its files by path relative to
 * site-packages, already validated and in memory, and its distributions.
 */
record SourceContent(
        String label, Map<String, byte[]> files, List<FoundDistribution> distributions) {}
