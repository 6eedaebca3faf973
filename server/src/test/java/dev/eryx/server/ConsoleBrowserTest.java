package dev.eryx.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.eryx.ResourceLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in headless Chromium against a real server with a token: the token dialog,
 * streamed output, session state, traceback links, effects, cancel, reset with a session memory
 * limit, the operator view, the event-stream reader, output batching and the run's failure paths
 * (an error event, a silent server, a queued run's Cancel; the page's fetch stubbed where the
 * server cannot be made to misbehave), and no JavaScript errors or CSP violations in the browser's
 * console. The methods run in order on one page, as a user would click through it. Skipped (not
 * failed) where Chromium or its driver is missing; screenshots of both views land in
 * target/screenshots/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final String TOKEN = "console-test-token-0123456789";
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static EryxServer server;
    private static ChromeDriver driver;
    private static Path profile;
    private static String base;
    private static String skipReason;

    /** A failed step leaves the page as it was in target/screenshots/failed-METHOD.png. */
    @RegisterExtension
    static final TestWatcher SCREENSHOT_ON_FAILURE =
            new TestWatcher() {
                @Override
                public void testFailed(ExtensionContext context, Throwable cause) {
                    if (driver == null) {
                        return;
                    }
                    try {
                        screenshot("failed-" + context.getRequiredTestMethod().getName() + ".png");
                    } catch (IOException | RuntimeException e) {
                        cause.addSuppressed(e);
                    }
                }
            };

    @BeforeAll
    static void start() throws IOException {
        // Explicit paths: Selenium Manager is never asked, so it never downloads a driver or a
        // browser (CI has no such access; .ci/run installs both from the distribution).
        Path chromium = Path.of(System.getProperty("eryx.chromium", "/usr/bin/chromium"));
        Path chromedriver =
                Path.of(System.getProperty("eryx.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            // Each test is skipped with this reason (an assumption failing here would abort the
            // class, which Surefire counts as nothing at all).
            skipReason =
                    "console browser tests skipped: "
                            + (Files.isExecutable(chromium) ? "" : chromium + " is missing; ")
                            + (Files.isExecutable(chromedriver)
                                    ? ""
                                    : chromedriver + " is missing; ")
                            + "install the packages chromium and chromium-driver (apt-get install"
                            + " chromium chromium-driver), or point -Deryx.chromium and"
                            + " -Deryx.chromedriver at them";
            System.err.println("WARNING: " + skipReason);
            return;
        }

        server =
                EryxServer.builder()
                        .port(0)
                        .token(TOKEN)
                        .poolSize(2)
                        .maxLimits(
                                ResourceLimits.defaults().toBuilder()
                                        .executionTimeout(Duration.ofSeconds(60))
                                        .build())
                        .build()
                        .start();
        base = "http://127.0.0.1:" + server.port();

        profile = Files.createTempDirectory("eryx-console-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
                "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(chromedriver.toFile())
                        .usingAnyFreePort()
                        .build();
        driver = new ChromeDriver(service, options);
    }

    @BeforeEach
    void needsTheBrowser() {
        Assumptions.assumeTrue(skipReason == null, skipReason);
    }

    @AfterAll
    static void stop() throws IOException {
        try {
            if (driver != null) {
                driver.quit();
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (profile != null) {
                try (Stream<Path> files = Files.walk(profile)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    @Test
    @Order(1)
    void theTokenDialogAsksOnA401AndKeepsTheTokenForTheTab() {
        driver.get(base + "/");
        wait(WAIT).until(d -> d.findElement(By.id("editor")).isDisplayed());
        assertTrue(el("view-playground").isDisplayed(), "no hash opens the playground");
        assertFalse(el("view-operator").isDisplayed());
        assertEquals("idle", text("status"));
        assertFalse(el("cancel").isEnabled(), "#cancel is enabled only while running");
        assertNull(script("return sessionStorage.getItem('eryx.token')"));

        // The page may call the API at once; if it does not, the first Run does.
        try {
            wait(Duration.ofSeconds(5)).until(d -> el("token-dialog").isDisplayed());
        } catch (TimeoutException notAtOnce) {
            setEditor("print('hello')");
            el("run").click();
            wait(WAIT).until(d -> el("token-dialog").isDisplayed());
        }

        // A wrong token is asked again on the next 401 (the page's retry, or the next Run's).
        submitToken("not-the-token");
        assertEquals("not-the-token", script("return sessionStorage.getItem('eryx.token')"));
        boolean[] ran = {false};
        // A Run the dialog opened over is intercepted: the next poll sees the dialog.
        wait(WAIT)
                .ignoring(ElementClickInterceptedException.class)
                .until(
                        d -> {
                            if (el("token-dialog").isDisplayed()) {
                                return true;
                            }
                            if (!ran[0] && "idle".equals(text("status"))) {
                                ran[0] = true;
                                el("run").click();
                            }
                            return false;
                        });

        submitToken(TOKEN);
        wait(WAIT).until(d -> !el("token-dialog").isDisplayed());
        assertEquals(TOKEN, script("return sessionStorage.getItem('eryx.token')"));
        assertEquals("ok", run("print('hello')"));
        assertFalse(el("token-dialog").isDisplayed());
        assertTrue(text("output").contains("hello"), text("output"));
        assertTrue(hasSession(), "the first Run created a session: " + text("session-id"));
    }

    @Test
    @Order(2)
    void outputStreamsWhileTheCodeRuns() {
        String code =
                "print(\"first\", flush=True)\n"
                        + "import time; time.sleep(1.5)\n"
                        + "print(\"second\")\n"
                        + "result = {\"answer\": 6 * 7}";
        setEditor(code);
        if (Boolean.TRUE.equals(script("return !!window.Prism"))) {
            wait(Duration.ofSeconds(10))
                    .until(
                            d ->
                                    !d.findElements(By.cssSelector("#editor-highlight .token"))
                                            .isEmpty());
        }
        // What the page showed when "first" appeared, recorded in the page itself: a WebDriver
        // poll may come late on a loaded machine, the observer cannot.
        script(
                "window.eryxFirstSeen = null;"
                        + " const $ = (id) => document.getElementById(id);"
                        + " new MutationObserver((changes, observer) => {"
                        + "   if (!$('output').textContent.includes('first')) return;"
                        + "   window.eryxFirstSeen = {verdict: $('verdict').textContent,"
                        + "     output: $('output').textContent, status: $('status').textContent,"
                        + "     cancel: !$('cancel').disabled};"
                        + "   observer.disconnect();"
                        + " }).observe($('output'),"
                        + "   {childList: true, subtree: true, characterData: true});");
        clearVerdict();
        el("run").click();

        // "first" was on the page while the code still slept: streamed, not sent with the result.
        wait(WAIT).until(d -> script("return window.eryxFirstSeen") != null);
        @SuppressWarnings("unchecked")
        Map<String, Object> seen = (Map<String, Object>) script("return window.eryxFirstSeen");
        assertNotEquals("ok", seen.get("verdict"), "the verdict came with the first line: " + seen);
        assertFalse(((String) seen.get("output")).contains("second"), seen.toString());
        assertEquals("running", seen.get("status"), seen.toString());
        assertEquals(Boolean.TRUE, seen.get("cancel"), "#cancel is enabled while running");

        awaitResult();
        assertEquals("ok", text("verdict"));
        String output = text("output");
        assertTrue(output.indexOf("first") < output.indexOf("second"), output);
        List<WebElement> stdout = driver.findElements(By.cssSelector("#output span.stdout"));
        assertFalse(stdout.isEmpty(), "stdout is in span.stdout");
        assertTrue(
                stdout.stream()
                        .map(e -> e.getText())
                        .reduce("", String::concat)
                        .contains("second"));
        long duration = millis(text("duration"));
        assertTrue(duration >= 1400, "slept 1.5 s but #duration is " + text("duration"));
        assertTrue(text("fuel").matches(".*\\d.*"), "#fuel: " + text("fuel"));
        assertTrue(text("memory").matches(".*\\d.*"), "#memory: " + text("memory"));
        assertTrue(text("result").replace(" ", "").contains("\"answer\":42"), text("result"));
        assertEquals("idle", text("status"));
        assertFalse(el("cancel").isEnabled());
    }

    @Test
    @Order(3)
    void theSessionKeepsStateAndCtrlEnterRuns() {
        String session = text("session-id");
        assertEquals("ok", run("x = 41"));
        setEditor("result = x + 1");
        clearVerdict();
        el("editor").sendKeys(Keys.chord(Keys.CONTROL, Keys.ENTER));
        awaitResult();
        assertEquals("ok", text("verdict"));
        assertEquals("42", text("result").strip());
        assertEquals(session, text("session-id"));
        assertEquals(
                1,
                driver.findElements(By.cssSelector("#effects tbody tr.empty")).size(),
                "no effects: one tr.empty row");
        assertTrue(driver.findElements(By.cssSelector("#effects tbody tr.effect")).isEmpty());
    }

    @Test
    @Order(4)
    void aTracebackLineSelectsThatLineInTheEditor() {
        String code = "a = 1\nb = 0\nprint(a / b)\n";
        assertEquals("python_error", run(code));
        assertTrue(text("traceback").contains("ZeroDivisionError"), text("traceback"));
        WebElement link =
                wait(Duration.ofSeconds(10))
                        .until(
                                d ->
                                        d.findElement(
                                                By.cssSelector(
                                                        "#traceback a.tb-line[data-line=\"3\"]")));
        assertTrue(link.getText().contains("line 3"), link.getText());
        link.click();

        @SuppressWarnings("unchecked")
        List<Object> sel =
                (List<Object>)
                        script(
                                "const e = document.getElementById('editor');"
                                        + " return [e.value, e.selectionStart, e.selectionEnd,"
                                        + " document.activeElement === e];");
        String value = (String) sel.get(0);
        int start = ((Number) sel.get(1)).intValue();
        int end = ((Number) sel.get(2)).intValue();
        int lineStart = value.indexOf("print(a / b)");
        assertEquals(lineStart, start, "the selection starts at line 3: " + sel);
        String selected = value.substring(start, end);
        assertEquals("print(a / b)", selected.replaceAll("\n$", ""), "line 3 is selected");
        assertEquals(Boolean.TRUE, sel.get(3), "the editor has the focus");
    }

    @Test
    @Order(5)
    void aWrittenFileIsListedInTheEffects() throws IOException {
        String code =
                "open(\"/tmp/console-notes.txt\", \"w\").write(\"from the console\\n\")\n"
                        + "print(open(\"/tmp/console-notes.txt\").read())\n"
                        + "result = sum(range(1000))";
        assertEquals("ok", run(code));
        List<WebElement> rows = driver.findElements(By.cssSelector("#effects tbody tr.effect"));
        assertTrue(
                rows.stream()
                        .map(WebElement::getText)
                        .anyMatch(t -> t.contains("/tmp/console-notes.txt") && t.contains("write")),
                "a file_write row for the file: "
                        + rows.stream().map(WebElement::getText).toList());
        assertTrue(driver.findElements(By.cssSelector("#effects tbody tr.empty")).isEmpty());
        screenshot("playground.png");
    }

    @Test
    @Order(6)
    void cancelStopsARunawayLoop() {
        WebElement timeout = el("limit-timeout");
        timeout.clear();
        timeout.sendKeys("60000");
        setEditor("while True: pass");
        clearVerdict();
        el("run").click();
        wait(WAIT).until(d -> "running".equals(text("status")));
        assertTrue(el("cancel").isEnabled());
        long clicked = System.nanoTime();
        el("cancel").click();
        wait(Duration.ofSeconds(30)).until(d -> "cancelled".equals(text("verdict")));
        long tookMs = (System.nanoTime() - clicked) / 1_000_000;
        assertTrue(tookMs < 15_000, "cancel took " + tookMs + " ms");
        wait(Duration.ofSeconds(10)).until(d -> "idle".equals(text("status")));
        assertFalse(el("cancel").isEnabled());
        assertTrue(el("run").isEnabled());
        timeout.clear();

        // The editor is usable again.
        assertEquals("ok", run("result = 'still here'"));
        assertTrue(text("result").contains("still here"), text("result"));
    }

    @Test
    @Order(7)
    void resetStartsAFreshSessionWithTheMemoryLimit() {
        String before = text("session-id");
        assertTrue(hasSession(), before);
        WebElement memory = el("limit-memory");
        memory.clear();
        memory.sendKeys("96");
        el("reset").click();

        assertEquals("python_error", run("x"));
        assertTrue(text("traceback").contains("NameError"), "x is gone: " + text("traceback"));
        String after = text("session-id");
        assertTrue(hasSession(), after);
        assertNotEquals(before, after, "Reset made a new session");

        // 160 MiB fits the server's 256 MiB but not the session's 96 MiB.
        assertEquals("memory", run("b = bytearray(160 * 2**20)"), text("result"));
        memory.clear();
    }

    @Test
    @Order(8)
    void theOperatorViewShowsThePoolRunsAndSessions() throws IOException {
        String session = text("session-id");
        el("tab-operator").click();
        wait(WAIT).until(d -> el("view-operator").isDisplayed());
        assertFalse(el("view-playground").isDisplayed());
        // Before its first refresh the page may show placeholders: wait for numbers.
        wait(WAIT).until(d -> text("pool-size").strip().matches("\\d+"));
        for (String id : List.of("pool-idle", "pool-active")) {
            assertTrue(text(id).strip().matches("\\d+"), "#" + id + ": " + text(id));
        }
        for (String id : List.of("rate", "p50", "p99")) {
            assertTrue(text(id).matches(".*\\d.*"), "#" + id + ": " + text(id));
        }
        assertTrue(text("p50").contains("ms") && text("p99").contains("ms"));
        assertFalse(
                driver.findElements(By.cssSelector("#chart rect")).isEmpty(), "#chart has bars");

        wait(WAIT)
                .until(
                        d -> {
                            String failed = rowsText("#failed tbody tr.run");
                            return failed.contains("python_error") && failed.contains("cancelled");
                        });
        // Newest first: the memory run was the last failure.
        List<List<String>> failed = rows("#failed tbody tr.run");
        assertTrue(String.join(" ", failed.get(0)).contains("memory"), failed.toString());

        // Slowest first, and the 1.5 s sleep is among them.
        List<List<String>> slowest = rows("#slowest tbody tr.run");
        assertTrue(slowest.toString().contains("sleep"), slowest.toString());
        long previous = Long.MAX_VALUE;
        for (List<String> row : slowest) {
            String duration =
                    row.stream()
                            .map(String::strip)
                            .filter(c -> c.matches("[\\d,]+ ms"))
                            .findFirst()
                            .orElseThrow(() -> new AssertionError("no duration in " + row));
            long ms = Long.parseLong(duration.replaceAll("\\D", ""));
            assertTrue(ms <= previous, "not slowest first: " + slowest);
            previous = ms;
        }
        wait(WAIT).until(d -> rowsText("#sessions tbody tr.session").contains(session));

        // It refreshes on its own while visible.
        assertTrue(text("operator-updated").matches(".*\\d.*"), text("operator-updated"));
        String updated = text("operator-updated");
        wait(Duration.ofSeconds(15)).until(d -> !updated.equals(text("operator-updated")));
        screenshot("operator.png");
    }

    @Test
    @Order(9)
    void theLocationHashPicksTheView() {
        // A load (not a same-page hash change) of /#operator opens the operator view.
        driver.get(base + "/#operator");
        driver.navigate().refresh();
        wait(WAIT).until(d -> el("view-operator").isDisplayed());
        assertFalse(el("view-playground").isDisplayed());
        // The token is kept for the tab: the refresh after the reload needs no dialog.
        wait(WAIT).until(d -> text("pool-size").strip().matches("\\d+"));
        assertFalse(el("token-dialog").isDisplayed());

        el("tab-playground").click();
        wait(WAIT).until(d -> el("view-playground").isDisplayed());
        assertFalse(el("view-operator").isDisplayed());
        assertTrue(driver.getCurrentUrl().endsWith("#playground"), driver.getCurrentUrl());
        driver.navigate().refresh();
        wait(WAIT).until(d -> el("view-playground").isDisplayed());
        assertFalse(el("view-operator").isDisplayed());
    }

    @Test
    @Order(10)
    void theEventStreamReaderSplitsLinesDropsACutFrameAndCancelsOnAThrow() {
        freshPage();
        @SuppressWarnings("unchecked")
        Map<String, Object> r =
                (Map<String, Object>)
                        asyncScript(
                                """
                const done = arguments[arguments.length - 1];
                const enc = new TextEncoder();
                const body = (chunks) => new Response(new ReadableStream({
                  start(c) { for (const x of chunks) c.enqueue(enc.encode(x)); c.close(); } }));
                (async () => {
                  const r = {};
                  const events = [];
                  // CRLF split between chunks, CR alone, LF; the last frame is cut before its blank line.
                  await readEvents(body(['event: stdout\\r', '\\ndata: {"text":"a"}\\r\\r',
                      'event: stderr\\rdata: {"text":"b"}\\n\\n', 'data: {"x":1}\\r', '\\n\\r\\n',
                      'event: result\\ndata: {"cut":true}\\n']), (n, d) => events.push(n + ' ' + d));
                  r.events = events;
                  const last = [];
                  // A CR ending the stream ends its line: it is not waiting for an LF any more.
                  await readEvents(body(['data: {"y":2}\\r', '\\r']), (n, d) => last.push(n + ' ' + d));
                  r.last = last;
                  let cancelled = false;
                  const open = new ReadableStream({
                    start(c) { c.enqueue(enc.encode('data: {}\\n\\n')); }, cancel() { cancelled = true; } });
                  try {
                    await readEvents(new Response(open), () => { throw new Error('boom'); });
                  } catch (e) {
                    r.thrown = e.message;
                  }
                  r.cancelled = cancelled;
                  return r;
                })().then(done, (e) => done({failure: String(e)}));
                """);
        assertEquals(
                List.of("stdout {\"text\":\"a\"}", "stderr {\"text\":\"b\"}", "message {\"x\":1}"),
                r.get("events"),
                "CRLF, CR and LF end lines; the cut frame is dropped: " + r);
        assertEquals(List.of("message {\"y\":2}"), r.get("last"), r.toString());
        assertEquals("boom", r.get("thrown"), r.toString());
        assertEquals(Boolean.TRUE, r.get("cancelled"), "a throwing handler cancels the body: " + r);
    }

    @Test
    @Order(11)
    void heavyOutputIsWrittenOncePerFrameAndCapped() {
        @SuppressWarnings("unchecked")
        Map<String, Object> r =
                (Map<String, Object>)
                        asyncScript(
                                """
                const done = arguments[arguments.length - 1];
                const out = document.getElementById('output');
                clearPanes();
                for (let i = 0; i < 1000; i++) appendOutput('stdout', 'line ' + i + '\\n');
                const r = {before: out.childNodes.length};
                requestAnimationFrame(() => requestAnimationFrame(() => {
                  const spans = out.querySelectorAll('span.stdout');
                  r.spans = spans.length;
                  r.nodes = spans.length ? spans[0].childNodes.length : 0;
                  r.lines = out.textContent.split('\\n').length - 1;
                  clearPanes();
                  appendOutput('stdout', 'x'.repeat(3 * 1024 * 1024));
                  appendOutput('stderr', 'more');
                  flushOutput();
                  r.size = out.textContent.length;
                  const note = out.querySelector('span.truncated');
                  r.note = note ? note.textContent : null;
                  r.stderr = out.querySelectorAll('span.stderr').length;
                  clearPanes();
                  done(r);
                }));
                """);
        assertEquals(0L, r.get("before"), "nothing written before the frame: " + r);
        assertEquals(1L, r.get("spans"), r.toString());
        assertEquals(1L, r.get("nodes"), "one text node for the frame's stdout: " + r);
        assertEquals(1000L, r.get("lines"), r.toString());
        long size = (Long) r.get("size");
        assertTrue(
                size >= 2 * 1024 * 1024 && size < 2 * 1024 * 1024 + 200,
                "the pane holds 2 MiB and the note: " + size);
        assertTrue(String.valueOf(r.get("note")).contains("output truncated"), r.toString());
        assertEquals(0L, r.get("stderr"), "nothing after the cap: " + r);
    }

    @Test
    @Order(12)
    void anErrorEventOf404RunsAgainInANewSession() {
        freshPage();
        assertEquals("ok", run("x = 1"));
        String before = text("session-id");
        // The first execute's stream refuses the run: its session ended meanwhile.
        stubFetch(
                """
                (() => { let executes = 0; return (url, init) => {
                  if (!url.endsWith('/execute') || executes++ > 0) return null;
                  return Promise.resolve(new Response(
                    'event: error\\ndata: {"error": "no such session", "status": 404}\\n\\n',
                    {headers: {'Content-Type': 'text/event-stream'}}));
                }; })()""");
        assertEquals("ok", run("result = 'again'"));
        assertTrue(text("result").contains("again"), text("result"));
        assertNotEquals(before, text("session-id"), "a new session");
        assertTrue(text("message").contains("had ended"), text("message"));
        assertEquals(2L, script("return eryxCalls.filter(c => c.endsWith('/execute')).length"));
    }

    @Test
    @Order(13)
    void cancelDuringTheRetryInANewSessionRunsNothing() {
        freshPage();
        assertEquals("ok", run("x = 1"));
        // The execute answers 404; Cancel is pressed while the page creates the new session.
        stubFetch(
                """
                (() => { let executes = 0; return (url, init) => {
                  if (url.endsWith('/execute') && executes++ === 0) {
                    return Promise.resolve(new Response('{"error": "no such session"}',
                      {status: 404, headers: {'Content-Type': 'application/json'}}));
                  }
                  if (url === '/v1/sessions' && init.method === 'POST') {
                    document.getElementById('cancel').click();
                    return new Promise((resolve) => setTimeout(
                      () => resolve(window.eryxRealFetch(url, init)), 300));
                  }
                  return null;
                }; })()""");
        setEditor("result = 'ran'");
        clearVerdict();
        el("run").click();
        wait(WAIT).until(d -> text("message").contains("Cancelled before it started"));
        wait(Duration.ofSeconds(10)).until(d -> "idle".equals(text("status")));
        assertEquals(1L, script("return eryxCalls.filter(c => c.endsWith('/execute')).length"));
        assertEquals("", text("verdict"));
    }

    @Test
    @Order(14)
    void aSilentServerReturnsThePageToIdle() {
        freshPage();
        assertEquals("ok", run("import time"));
        // No byte for 1 s (the server's first keep-alive comes later): the page stops waiting.
        script("TIMING.idle = 1000");
        setEditor("time.sleep(5)");
        clearVerdict();
        long clicked = System.nanoTime();
        el("run").click();
        wait(Duration.ofSeconds(15)).until(d -> "idle".equals(text("status")));
        long tookMs = (System.nanoTime() - clicked) / 1_000_000;
        assertTrue(tookMs < 4500, "stopped waiting after " + tookMs + " ms");
        assertTrue(text("message").contains("sent nothing"), text("message"));
        assertEquals("", text("verdict"));
        assertTrue(el("run").isEnabled());
        assertFalse(el("cancel").isEnabled());
    }

    @Test
    @Order(15)
    void cancelAsksWhileTheRunIsQueuedThenClosesTheConnection() {
        freshPage();
        // A run the server keeps queued: keep-alives only, and every cancel finds nothing running.
        script("TIMING.cancelRetry = 50; TIMING.cancelGiveUp = 1500;");
        stubFetch(
                """
                (url, init) => {
                  if (url.endsWith('/cancel')) {
                    return Promise.resolve(new Response('{"cancelled": false}',
                      {headers: {'Content-Type': 'application/json'}}));
                  }
                  if (!url.endsWith('/execute')) return null;
                  let timer;
                  return Promise.resolve(new Response(new ReadableStream({
                    start(c) {
                      const bytes = new TextEncoder().encode(': keep-alive\\n\\n');
                      timer = setInterval(() => c.enqueue(bytes), 100);
                      init.signal.addEventListener('abort', () => {
                        clearInterval(timer);
                        c.error(new DOMException('aborted', 'AbortError'));
                      });
                    },
                    cancel() { clearInterval(timer); },
                  }), {headers: {'Content-Type': 'text/event-stream'}}));
                }""");
        setEditor("result = 1");
        clearVerdict();
        el("run").click();
        wait(WAIT).until(d -> "running".equals(text("status")) && el("cancel").isEnabled());
        el("cancel").click();
        wait(Duration.ofSeconds(15)).until(d -> "idle".equals(text("status")));
        assertTrue(text("message").contains("had not started"), text("message"));
        long asked = (Long) script("return eryxCalls.filter(c => c.endsWith('/cancel')).length");
        // Every 50 ms on a quiet machine (~30); a loaded CI machine throttles the page's timers.
        assertTrue(asked >= 3, "asked " + asked + " times in 1.5 s");
        sleep(500);
        assertEquals(
                asked,
                script("return eryxCalls.filter(c => c.endsWith('/cancel')).length"),
                "no more cancels once the run ended");
        assertTrue(el("run").isEnabled());
    }

    @Test
    @Order(20)
    void theBrowserConsoleHasNoErrors() {
        List<String> severe = new ArrayList<>();
        for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
            System.out.println("[browser] " + entry.getLevel() + " " + entry.getMessage());
            // The 401s are the token dialog's cue: the browser reports each as a failed load.
            // favicon.ico is the browser's own request, not the page's.
            boolean expected =
                    entry.getMessage().contains("status of 401")
                            || entry.getMessage().contains("/favicon.ico ");
            if (entry.getLevel().intValue() >= Level.SEVERE.intValue() && !expected) {
                severe.add(entry.getMessage());
            }
        }
        if (!severe.isEmpty()) {
            fail("errors in the browser's console (JavaScript or CSP): " + severe);
        }
    }

    // -- helpers ----------------------------------------------------------------------------

    private static WebDriverWait wait(Duration timeout) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100));
    }

    private static WebElement el(String id) {
        return driver.findElement(By.id(id));
    }

    /** The element's text content, also where it is not rendered (a hidden pane). */
    private static String text(String id) {
        String t = el(id).getDomProperty("textContent");
        return t == null ? "" : t;
    }

    /**
     * The cells' text of the rows {@code css} selects, read in one script: the operator view
     * replaces its rows on each refresh, so elements found one call earlier may be gone.
     */
    @SuppressWarnings("unchecked")
    private static List<List<String>> rows(String css) {
        return (List<List<String>>)
                script(
                        "return Array.from(document.querySelectorAll('"
                                + css
                                + "'), r => Array.from(r.cells, c => c.textContent));");
    }

    private static String rowsText(String css) {
        return String.join("\n", rows(css).stream().map(cells -> String.join(" ", cells)).toList());
    }

    private static Object script(String js) {
        return ((JavascriptExecutor) driver).executeScript(js);
    }

    private static Object asyncScript(String js) {
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        return ((JavascriptExecutor) driver).executeAsyncScript(js);
    }

    /** A newly loaded playground (the page's own state and any stubbed fetch gone), token kept. */
    private static void freshPage() {
        driver.get(base + "/#playground");
        driver.navigate().refresh();
        wait(WAIT).until(d -> el("editor").isDisplayed() && "idle".equals(text("status")));
    }

    /**
     * Replaces the page's fetch: {@code handler} (a JavaScript function of url and init) answers a
     * call with a promise of a Response, or null to let the server answer it. Each call is recorded
     * in {@code eryxCalls} as "METHOD url". Until the next {@link #freshPage}.
     */
    private static void stubFetch(String handler) {
        script(
                "window.eryxRealFetch = window.eryxRealFetch || window.fetch;"
                        + " window.eryxCalls = [];"
                        + " const handler = "
                        + handler
                        + ";"
                        + " window.fetch = (url, init) => {"
                        + "   eryxCalls.push(init.method + ' ' + url);"
                        + "   return handler(url, init) || window.eryxRealFetch(url, init); };");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Types {@code code} into the editor as a user would, and checks the editor took it as is. */
    private static void setEditor(String code) {
        WebElement editor = el("editor");
        editor.clear();
        editor.sendKeys(code);
        assertEquals(code, editor.getDomProperty("value"), "the editor changed the typed code");
    }

    private static void submitToken(String token) {
        WebElement input = el("token-input");
        input.clear();
        input.sendKeys(token);
        el("token-save").click();
    }

    /** The page shows a session id (it may show a placeholder such as "none" before). */
    private static boolean hasSession() {
        String id = text("session-id").strip();
        return !id.isEmpty() && !id.equals("none");
    }

    /**
     * The previous run's verdict would satisfy the wait for this run's at once: blank it first (the
     * page writes the next one when the result arrives).
     */
    private static void clearVerdict() {
        script("document.getElementById('verdict').textContent = ''");
    }

    private static void awaitResult() {
        wait(WAIT).until(d -> !text("verdict").isBlank() && "idle".equals(text("status")));
    }

    /** Types and runs {@code code}, waits for its result and returns the verdict. */
    private static String run(String code) {
        wait(WAIT).until(d -> "idle".equals(text("status")) && el("run").isEnabled());
        setEditor(code);
        clearVerdict();
        el("run").click();
        awaitResult();
        return text("verdict").strip();
    }

    /** "12 ms" or "1.5 s" in milliseconds. */
    private static long millis(String text) {
        Matcher m = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s)\\b").matcher(text);
        assertTrue(m.find(), "not a duration: " + text);
        double n = Double.parseDouble(m.group(1));
        return Math.round(m.group(2).equals("s") ? n * 1000 : n);
    }

    private static void screenshot(String name) throws IOException {
        Files.createDirectories(SCREENSHOTS);
        byte[] png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name), png);
    }
}
