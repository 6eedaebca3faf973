package dev.eryx.server.internal;

/** A request refused with this status and message ({@code {"error": message}}). */
final class HttpError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String retryAfter; // seconds, for 429; else null

    HttpError(int status, String message) {
        this(status, message, null);
    }

    HttpError(int status, String message, String retryAfter) {
        super(message, null, false, false);
        this.status = status;
        this.retryAfter = retryAfter;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError tooMany(String message) {
        return new HttpError(429, message, "1");
    }

    /**
     * The answer to a request that failed with {@code e}: itself when it is one; 503 for a closed
     * pool or tool (the server is stopping); else 500.
     */
    static HttpError of(RuntimeException e) {
        if (e instanceof HttpError error) {
            return error;
        }
        if (e instanceof IllegalStateException) {
            return new HttpError(503, "the server is shutting down: " + e.getMessage());
        }
        return new HttpError(500, "internal error: " + e);
    }
}
