package dev.eryx.server.internal;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.ErrorHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself (a malformed request line, a servlet failure) in the API's shape,
 * {@code {"error": "..."}}, whatever the client accepts, and without stack traces.
 */
final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
        setShowStacks(false);
        setShowMessageInTitle(false);
    }

    @Override
    protected boolean generateAcceptableResponse(
            Request request,
            Response response,
            Callback callback,
            String contentType,
            List<Charset> charsets,
            int code,
            String message,
            Throwable cause)
            throws java.io.IOException {
        return super.generateAcceptableResponse(
                request,
                response,
                callback,
                "application/json",
                List.of(StandardCharsets.UTF_8),
                code,
                message,
                cause);
    }

    @Override
    protected void writeErrorJson(
            Request request, PrintWriter writer, int code, String message, Throwable cause) {
        writer.write(
                Json.error(message == null || message.isEmpty() ? "HTTP " + code : message)
                        .toString());
    }
}
