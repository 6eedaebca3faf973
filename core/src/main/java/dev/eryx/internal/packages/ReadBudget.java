package dev.eryx.internal.packages;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Counts entries and bytes against {@link ReadLimits} while a package set is read. */
final class ReadBudget {
    private final ReadLimits limits;
    private int entries;
    private long bytes;

    ReadBudget(ReadLimits limits) {
        this.limits = limits;
    }

    void countEntry(String source) {
        if (++entries > limits.maxEntries()) {
            throw new IllegalArgumentException(
                    source
                            + ": too many files: the packages hold more than "
                            + limits.maxEntries()
                            + " files");
        }
    }

    /**
     * Reads {@code in} to its end, counting every byte as it arrives.
     *
     * @param compressedSize the entry's compressed size, or -1 when not compressed
     */
    byte[] read(InputStream in, String source, String entry, long compressedSize)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[16384];
        long entryBytes = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            entryBytes += n;
            bytes += n;
            if (bytes > limits.maxTotalBytes()) {
                throw new IllegalArgumentException(
                        source
                                + ": too large: the packages hold more than "
                                + limits.maxTotalBytes()
                                + " bytes uncompressed (reached at "
                                + entry
                                + ")");
            }
            if (compressedSize >= 0
                    && entryBytes > limits.ratioFloorBytes()
                    && entryBytes > (long) limits.maxRatio() * Math.max(1, compressedSize)) {
                throw new IllegalArgumentException(
                        source
                                + ": entry "
                                + entry
                                + " inflates more than "
                                + limits.maxRatio()
                                + " times its compressed size ("
                                + compressedSize
                                + " bytes): refused as a zip bomb");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
