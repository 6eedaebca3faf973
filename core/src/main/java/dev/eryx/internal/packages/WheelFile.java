package dev.eryx.internal.packages;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A wheel's file name, per the wheel specification: {@code
 * name-version(-build)?-python-abi-platform.whl}, each tag part possibly a {@code .}-separated set
 * ({@code py2.py3-none-any}).
 *
 * @param fileName the file name as given
 * @param name the distribution name (escaped: {@code -} written as {@code _})
 * @param version the version
 * @param tags the compressed tag triple as written ({@code py2.py3-none-any})
 * @param expanded every python-abi-platform combination the tag triple stands for
 */
record WheelFile(String fileName, String name, String version, String tags, List<Tag> expanded) {
    /** The newest CPython minor version whose wheels we accept (the guest runs 3.14). */
    private static final int MAX_MINOR = 14;

    private static final Pattern PYTHON = Pattern.compile("(py|cp)3(\\d*)");

    /** One expanded tag. */
    record Tag(String python, String abi, String platform) {
        @Override
        public String toString() {
            return python + "-" + abi + "-" + platform;
        }
    }

    WheelFile {
        expanded = List.copyOf(expanded);
    }

    /**
     * @throws IllegalArgumentException {@code fileName} is not a wheel file name
     */
    static WheelFile parse(String fileName) {
        if (!fileName.endsWith(".whl")) {
            throw new IllegalArgumentException(fileName + " is not a wheel (.whl) file");
        }
        String[] parts = fileName.substring(0, fileName.length() - 4).split("-", -1);
        if (parts.length != 5 && parts.length != 6) {
            throw invalid(fileName);
        }
        for (String part : parts) {
            if (part.isEmpty()) {
                throw invalid(fileName);
            }
        }
        if (parts.length == 6 && !Character.isDigit(parts[2].charAt(0))) {
            throw invalid(fileName); // the build tag must start with a digit
        }
        int t = parts.length - 3;
        List<Tag> expanded = new ArrayList<>();
        for (String python : parts[t].split("\\.")) {
            for (String abi : parts[t + 1].split("\\.")) {
                for (String platform : parts[t + 2].split("\\.")) {
                    expanded.add(new Tag(python, abi, platform));
                }
            }
        }
        String tags = parts[t] + "-" + parts[t + 1] + "-" + parts[t + 2];
        return new WheelFile(fileName, parts[0], parts[1], tags, expanded);
    }

    /** The first tag the guest can use: pure Python for a Python 3 up to 3.14. */
    Optional<Tag> pureTag() {
        return expanded.stream().filter(WheelFile::isPure).findFirst();
    }

    static boolean isPure(Tag tag) {
        if (!tag.abi().equals("none") || !tag.platform().equals("any")) {
            return false;
        }
        Matcher m = PYTHON.matcher(tag.python());
        if (!m.matches()) {
            return false;
        }
        if (m.group(2).isEmpty()) {
            return m.group(1).equals("py");
        }
        if (m.group(2).length() > 3) {
            return false;
        }
        return Integer.parseInt(m.group(2)) <= MAX_MINOR;
    }

    private static IllegalArgumentException invalid(String fileName) {
        return new IllegalArgumentException(
                fileName
                        + " is not a valid wheel file name"
                        + " (name-version(-build)-python-abi-platform.whl)");
    }
}
