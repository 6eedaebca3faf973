package dev.eryx.cli;

import java.util.List;

/**
 * Decides when the lines typed at the REPL form a complete input, like CPython's interactive
 * interpreter: open brackets, an unterminated triple-quoted string or a trailing backslash
 * continue; a statement ending in {@code :} (or a decorator) opens a block that an empty line ends.
 */
final class ReplInput {
    private ReplInput() {}

    static boolean isComplete(List<String> lines) {
        if (lines.isEmpty()) {
            return false;
        }
        Scan scan = scan(String.join("\n", lines));
        if (scan.open) {
            return false;
        }
        if (!scan.compound) {
            return true;
        }
        return lines.size() > 1 && lines.get(lines.size() - 1).isBlank();
    }

    private static final class Scan {
        /** Inside brackets, a string, or after a line continuation at the end of the text. */
        boolean open;

        /** Some logical line ends with ':' or is a decorator: a block that needs an empty line. */
        boolean compound;
    }

    private static Scan scan(String text) {
        Scan result = new Scan();
        int depth = 0;
        String quote = null; // the open string's delimiter: ', ", ''' or """
        char lastSignificant =
                0; // last char of the current logical line outside strings and comments
        boolean lineStart = true; // no significant char yet on this logical line
        boolean continued = false;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (quote != null) {
                if (c == '\\') {
                    i++; // the escaped char, even a newline
                } else if (text.startsWith(quote, i)) {
                    i += quote.length() - 1;
                    quote = null;
                    lastSignificant = c;
                } else if (c == '\n' && quote.length() == 1) {
                    quote = null; // unterminated single-quoted string: a syntax error, let Python
                    // say so
                    i--;
                }
                continue;
            }
            continued = false;
            switch (c) {
                case '#':
                    while (i + 1 < n && text.charAt(i + 1) != '\n') {
                        i++;
                    }
                    break;
                case '\\':
                    if (i + 1 == n) {
                        continued = true;
                    } else if (text.charAt(i + 1) == '\n') {
                        i++;
                    }
                    break;
                case '\'':
                case '"':
                    quote = text.startsWith("" + c + c + c, i) ? "" + c + c + c : "" + c;
                    i += quote.length() - 1;
                    lineStart = false;
                    break;
                case '(':
                case '[':
                case '{':
                    depth++;
                    lastSignificant = c;
                    lineStart = false;
                    break;
                case ')':
                case ']':
                case '}':
                    depth = Math.max(0, depth - 1);
                    lastSignificant = c;
                    lineStart = false;
                    break;
                case '\n':
                    if (depth == 0) {
                        if (lastSignificant == ':') {
                            result.compound = true;
                        }
                        lastSignificant = 0;
                        lineStart = true;
                    }
                    break;
                default:
                    if (!Character.isWhitespace(c)) {
                        if (lineStart && depth == 0 && c == '@') {
                            result.compound = true;
                        }
                        lastSignificant = c;
                        lineStart = false;
                    }
                    break;
            }
        }
        if (depth == 0 && quote == null && lastSignificant == ':') {
            result.compound = true;
        }
        result.open = depth > 0 || (quote != null && quote.length() == 3) || continued;
        return result;
    }
}
