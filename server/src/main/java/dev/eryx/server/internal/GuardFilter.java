package dev.eryx.server.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * In front of every route, in this order: the Host and Origin checks (403), the bearer token (401;
 * {@code /healthz} and the console's files are open), the declared body size (413), the whole body
 * of a JSON API request that runs code (413 past the limit; read before the permit is taken), and
 * the concurrency limit of requests that run code or save a session (429). It also counts every
 * request by route and status.
 */
final class GuardFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    /** The request attribute holding the permit's release ({@link #permitRelease}). */
    private static final String PERMIT_RELEASE = GuardFilter.class.getName() + ".permitRelease";

    private final transient HostPolicy policy;
    private final byte[] tokenHash; // null: no token
    private final long maxRequestBytes;
    private final int maxConcurrent;
    private final transient Semaphore running; // one token, so one budget (or the anonymous one)
    private final transient MeterRegistry registry;

    GuardFilter(
            HostPolicy policy,
            String token,
            long maxRequestBytes,
            int maxConcurrent,
            MeterRegistry registry) {
        this.policy = policy;
        this.tokenHash = token == null ? null : sha256(token);
        this.maxRequestBytes = maxRequestBytes;
        this.maxConcurrent = maxConcurrent;
        this.running = new Semaphore(maxConcurrent);
        this.registry = registry;
        Gauge.builder(
                        "eryx.http.requests.running",
                        running,
                        r -> maxConcurrent - r.availablePermits())
                .description(
                        "requests the per-token limit counts now (running code or saving a session)")
                .register(registry);
    }

    @Override
    protected void doFilter(
            HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Route route = Route.of(pathOf(request));
        long started = System.nanoTime();
        Runnable release = () -> {};
        HttpServletResponse out = response;
        boolean async = false;
        try {
            if (!policy.allowsHost(request.getHeader("Host"))) {
                Json.writeError(
                        response,
                        HttpServletResponse.SC_FORBIDDEN,
                        "Host not allowed: " + request.getHeader("Host"));
                return;
            }
            if (!policy.allowsOrigin(request.getHeader("Origin"))) {
                Json.writeError(
                        response,
                        HttpServletResponse.SC_FORBIDDEN,
                        "Origin not allowed: " + request.getHeader("Origin"));
                return;
            }
            // The console's files hold no data (every call the page makes carries the token), and
            // a browser cannot send a bearer token when it navigates to a page.
            if (tokenHash != null && route != Route.HEALTH && route != Route.CONSOLE) {
                String presented = bearer(request.getHeader("Authorization"));
                if (presented == null || !MessageDigest.isEqual(tokenHash, sha256(presented))) {
                    response.setHeader(
                            "WWW-Authenticate",
                            presented == null
                                    ? "Bearer realm=\"eryx\""
                                    : "Bearer realm=\"eryx\", error=\"invalid_token\"");
                    Json.writeError(
                            response,
                            HttpServletResponse.SC_UNAUTHORIZED,
                            presented == null
                                    ? "a bearer token is required (Authorization: Bearer <token>)"
                                    : "the bearer token is not valid");
                    return;
                }
            }
            if (request.getContentLengthLong() > maxRequestBytes) {
                Json.writeError(
                        response,
                        HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                        "the body is larger than " + maxRequestBytes + " bytes");
                return;
            }
            if (route.isLimited(request.getMethod())
                    && route != Route.MCP
                    && "POST".equals(request.getMethod())) {
                // The body first, then the permit: a client that sends its body slowly must not
                // hold one of the token's places meanwhile (the MCP transport reads its own).
                byte[] body = readBody(request);
                if (body == null) {
                    Json.writeError(
                            response,
                            HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
                            "the body is larger than " + maxRequestBytes + " bytes");
                    return;
                }
                request = new BufferedRequest(request, body);
            }
            if (route.isLimited(request.getMethod())) {
                if (!running.tryAcquire()) {
                    response.setHeader("Retry-After", "1");
                    Json.writeError(
                            response,
                            429,
                            "too many requests running at once for this token (at most "
                                    + maxConcurrent
                                    + ")");
                    return;
                }
                release = once(running::release);
                if (route != Route.MCP) {
                    // The permit ends when the answer starts: a body written in full completes
                    // the response at once, and a client that sends its next request on
                    // receiving it must find the permit free, not still held until this returns.
                    // An event stream's answer starts with the run: it releases the permit
                    // itself, before its last event.
                    out = new ReleasingResponse(response, release);
                    request.setAttribute(PERMIT_RELEASE, release);
                }
            }
            chain.doFilter(request, out);
            if (request.isAsyncStarted()) {
                // The MCP transport answers from another thread: count and release when it ends.
                async = true;
                Runnable finish = once(release, () -> record(route, response.getStatus(), started));
                request.getAsyncContext()
                        .addListener(
                                new AsyncListener() {
                                    @Override
                                    public void onComplete(AsyncEvent event) {
                                        done(event);
                                    }

                                    @Override
                                    public void onTimeout(AsyncEvent event) {
                                        done(event);
                                    }

                                    @Override
                                    public void onError(AsyncEvent event) {
                                        done(event);
                                    }

                                    @Override
                                    public void onStartAsync(AsyncEvent event) {
                                        event.getAsyncContext().addListener(this);
                                    }

                                    private void done(AsyncEvent event) {
                                        finish.run();
                                    }
                                });
            }
        } finally {
            if (!async) {
                release.run();
                record(route, response.getStatus(), started);
            }
        }
    }

    /** The body, or null when it is larger than maxRequestBytes. */
    private byte[] readBody(HttpServletRequest request) throws IOException {
        try (InputStream in = request.getInputStream()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxRequestBytes + 1));
            long declared = request.getContentLengthLong();
            if (declared >= 0 && body.length < declared) {
                // The client went away mid-body: answer nothing it could act on, take no permit.
                throw new IOException(
                        "the body ended after " + body.length + " of " + declared + " bytes");
            }
            return body.length > maxRequestBytes ? null : body;
        }
    }

    private void record(Route route, int status, long startedNanos) {
        Counter.builder("eryx.http.requests")
                .description("HTTP requests by route template and status")
                .tag("route", route.template)
                .tag("status", Integer.toString(status))
                .register(registry)
                .increment();
        Timer.builder("eryx.http.request.duration")
                .description("time to answer an HTTP request, by route template")
                .tag("route", route.template)
                .register(registry)
                .record(
                        System.nanoTime() - startedNanos,
                        java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    static String pathOf(HttpServletRequest request) {
        String servletPath = request.getServletPath();
        String pathInfo = request.getPathInfo();
        return (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
    }

    private static String bearer(String authorization) {
        if (authorization == null || authorization.length() < 7) {
            return null;
        }
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    /** Compared as hashes, so the comparison takes the same time whatever the lengths. */
    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /**
     * What releases the request's permit early (an event stream, before its last event); a no-op
     * when the request holds none. It releases once, however often it is run.
     */
    static Runnable permitRelease(HttpServletRequest request) {
        return request.getAttribute(PERMIT_RELEASE) instanceof Runnable release
                ? release
                : () -> {};
    }

    /**
     * A response that runs {@code beforeWrite} when its body is first asked for, unless it is an
     * event stream (whose body is written while the code runs).
     */
    private static final class ReleasingResponse extends HttpServletResponseWrapper {
        private final Runnable beforeWrite;

        ReleasingResponse(HttpServletResponse response, Runnable beforeWrite) {
            super(response);
            this.beforeWrite = beforeWrite;
        }

        @Override
        public ServletOutputStream getOutputStream() throws IOException {
            releaseUnlessStreaming();
            return super.getOutputStream();
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            releaseUnlessStreaming();
            return super.getWriter();
        }

        private void releaseUnlessStreaming() {
            String type = getContentType();
            if (type == null || !type.startsWith("text/event-stream")) {
                beforeWrite.run();
            }
        }
    }

    /** Runs {@code actions} in order the first time it is run, never again. */
    private static Runnable once(Runnable... actions) {
        AtomicBoolean done = new AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                for (Runnable action : actions) {
                    action.run();
                }
            }
        };
    }
}
