package dev.eryx.server.internal;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The web console's files: {@code /} is {@code index.html}, {@code /console/<file>} any file under
 * {@value #ROOT} on the classpath, for GET and HEAD. Every answer carries a Content-Security-Policy
 * that allows only the server's own scripts, styles and calls (the page has no inline script), and
 * is never framed; browsers revalidate it each time ({@code no-cache}), so a new server's page is
 * never a stale one. Names are letters, digits, {@code . _ / -} without {@code ..} or empty
 * segments, and only the types below are served: nothing outside the directory can be reached.
 */
final class ConsoleServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static final String ROOT = "dev/eryx/server/console/";

    static final String CONTENT_SECURITY_POLICY =
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
                    + " img-src 'self' data:; base-uri 'none'; form-action 'self';"
                    + " frame-ancestors 'none'";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private static final Map<String, String> TYPES =
            Map.of(
                    "html", "text/html; charset=utf-8",
                    "js", "text/javascript; charset=utf-8",
                    "css", "text/css; charset=utf-8",
                    "svg", "image/svg+xml",
                    "png", "image/png",
                    "txt", "text/plain; charset=utf-8");

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-cache");
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.setHeader("Allow", "GET, HEAD");
            Json.writeError(response, 405, method + " is not allowed here; use GET");
            return;
        }
        String path = GuardFilter.pathOf(request);
        String name = fileName(path);
        String type = name == null ? null : TYPES.get(extension(name));
        byte[] bytes = type == null ? null : read(name);
        if (bytes == null) {
            Json.writeError(response, 404, "no such console file: " + path);
            return;
        }
        response.setStatus(200);
        response.setContentType(type);
        response.setContentLength(bytes.length);
        if (method.equals("GET")) {
            response.getOutputStream().write(bytes);
        }
    }

    /**
     * The file a request path names, relative to {@link #ROOT}; null when it names none a console
     * may serve.
     */
    static String fileName(String path) {
        String name;
        if (path.equals("/")) {
            name = "index.html";
        } else if (path.startsWith("/console/")) {
            name = path.substring("/console/".length());
        } else {
            return null;
        }
        if (!NAME.matcher(name).matches()) {
            return null;
        }
        for (String segment : name.split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return null;
            }
        }
        return name;
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        int slash = name.lastIndexOf('/');
        return dot > slash ? name.substring(dot + 1).toLowerCase(Locale.ROOT) : "";
    }

    /** The file's bytes, or null when the classpath has none of that name. */
    private static byte[] read(String name) throws IOException {
        try (InputStream in =
                ConsoleServlet.class.getClassLoader().getResourceAsStream(ROOT + name)) {
            return in == null ? null : in.readAllBytes();
        }
    }
}
