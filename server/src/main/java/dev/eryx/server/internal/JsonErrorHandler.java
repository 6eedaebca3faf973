package dev.eryx.server.internal;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Requests Jetty refuses itself (a malformed URI, headers too large) answered in the API's shape,
 * {@code {"error": "..."}}, whatever the client accepts, and without stack traces.
 */
final class JsonErrorHandler extends ErrorHandler {
    JsonErrorHandler() {
        setShowStacks(false);
        setShowMessageInTitle(false);
    }

    /** Whatever the request accepts (or when it says nothing), the answer is JSON. */
    @Override
    protected void generateResponse(
            Request request,
            Response response,
            int code,
            String message,
            Throwable cause,
            Callback callback)
            throws java.io.IOException {
        if (!generateAcceptableResponse(
                request,
                response,
                callback,
                "application/json",
                List.of(StandardCharsets.UTF_8),
                code,
                message,
                cause)) {
            callback.succeeded();
        }
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

    /** A request Jetty cannot parse (a bad URI or header) is refused before any handler runs. */
    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, Json.CONTENT_TYPE);
        String message = reason == null || reason.isEmpty() ? "HTTP " + status : reason;
        return ByteBuffer.wrap(Json.utf8(Json.error(message).toString()));
    }
}
