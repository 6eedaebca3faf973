package dev.eryx.attacks;

import dev.eryx.Sandbox;

/**
 * Runs an attack's statements in the guest and reports what stopped them, as {@code "ExceptionType
 * ERRNO"} (the errno's symbolic name, when the exception carries one), {@code "ExceptionType"}, or
 * {@code "ok"} when nothing did. The guest catches the exception itself, so one execution can try
 * several variants and the test compares exact outcomes.
 */
final class Attempt {
    private Attempt() {}

    static String outcome(Sandbox sandbox, String statements) {
        StringBuilder code = new StringBuilder("import errno as _errno\ntry:\n");
        statements.lines().forEach(line -> code.append("    ").append(line).append('\n'));
        code.append("    result = 'ok'\n")
                .append("except BaseException as _e:\n")
                .append("    _code = getattr(_e, 'errno', None)\n")
                .append(
                        "    result = type(_e).__name__ + (' ' + _errno.errorcode[_code] if _code in _errno.errorcode else '')\n");
        return sandbox.execute(code.toString()).result().asText();
    }
}
