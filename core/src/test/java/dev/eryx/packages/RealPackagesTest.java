package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.SandboxImage;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real third-party packages (Debian's bookworm builds, {@link DebianPackages}; the lock file's
 * {@code default} group) given to sandboxes through {@link PythonPackages}, each doing one real
 * thing. The packages are imported once, into an image the tests share ({@link
 * SandboxImage#capture(PythonPackages, String...)}); each test runs in a fresh sandbox from it.
 * Capturing compiles every module from source (the packages' tree holds no bytecode), which is most
 * of this class's time (docs/packages.md, "Cost").
 */
class RealPackagesTest {
    /** What the image imports: every module the tests use. */
    private static final String[] MODULES = {
        "jinja2",
        "markupsafe",
        "yaml",
        "dateutil.parser",
        "dateutil.relativedelta",
        "tabulate",
        "requests",
        "urllib3",
        "idna",
        "certifi",
        "charset_normalizer",
        "chardet",
        "attr",
        "six",
        "h11",
        "rfc3986",
        "sniffio",
        "importlib.metadata"
    };

    private static DebianPackages.Fixture fixture;
    private static PythonPackages packages;
    private static SandboxImage image;
    private static byte[] caBundle;

    @BeforeAll
    static void packages() throws IOException {
        fixture = DebianPackages.all();
        packages = PythonPackages.of(fixture.distPackages());
        long t0 = System.nanoTime();
        image = SandboxImage.capture(packages, MODULES);
        System.out.printf(
                "[packages] image with %d modules captured in %.1f s%n",
                MODULES.length, (System.nanoTime() - t0) / 1e9);
        // Debian's certifi is patched to return the system's CA bundle rather than its own
        // cacert.pem (docs/packages.md); the host provides that file, from the package's copy.
        caBundle = Files.readAllBytes(fixture.distPackages().resolve("certifi/cacert.pem"));
    }

    private static JsonNode run(String... lines) {
        try (Sandbox sandbox =
                Sandbox.builder()
                        .image(image)
                        .resourceLimits(
                                // Generous: a loaded machine is slow (docs/packages.md, "Cost").
                                ResourceLimits.builder()
                                        .executionTimeout(Duration.ofMinutes(2))
                                        .build())
                        .file("/etc/ssl/certs/ca-certificates.crt", caBundle)
                        .build()) {
            return sandbox.execute(String.join("\n", lines)).result();
        }
    }

    @Test
    void listReportsTheDistributionsWithoutNativeFiles() {
        Map<String, PythonPackages.Distribution> byName = new HashMap<>();
        packages.list().forEach(d -> byName.put(d.name(), d));
        for (DebianPackages.Entry e : DebianPackages.lock()) {
            PythonPackages.Distribution d = byName.get(e.distribution());
            assertNotNull(d, e.distribution() + " not in list(): " + byName.keySet());
            assertEquals(e.version(), d.version(), e.distribution());
            assertTrue(
                    d.files().stream().noneMatch(f -> f.endsWith(".so")),
                    () -> d + ": " + d.files());
        }
    }

    @Test
    void soFilesWereRemovedSoThePureFallbacksAreUsed() {
        // Only markupsafe and PyYAML ship native code in bookworm's builds of this set.
        assertEquals(
                List.of(
                        "markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so",
                        "yaml/_yaml.cpython-311-x86_64-linux-gnu.so"),
                fixture.removedNativeFiles());
    }

    @Test
    void jinja2RendersATemplateWithAutoescape() {
        JsonNode r =
                run(
                        "import jinja2, markupsafe",
                        "env = jinja2.Environment(autoescape=True)",
                        "t = env.from_string('<p>{{ name }}</p>{% for i in items %}[{{ i }}]{% endfor"
                                + " %}')",
                        "result = {'html': t.render(name='<b>&\"', items=[1, 2]),",
                        "          'escape': markupsafe.escape.__module__}");
        assertEquals("<p>&lt;b&gt;&amp;&#34;</p>[1][2]", r.get("html").asText());
        // The .so was removed: markupsafe falls back to its pure implementation.
        assertEquals("markupsafe._native", r.get("escape").asText());
    }

    @Test
    void yamlSafeLoadAndDumpRoundTrip() {
        JsonNode r =
                run(
                        "import yaml",
                        "doc = yaml.safe_load('a: 1\\nb: [x, y]\\nc: {d: 2026-03-01, e: null}\\n')",
                        "dumped = yaml.safe_dump(doc, sort_keys=True)",
                        "result = {'dumped': dumped, 'same': yaml.safe_load(dumped) == doc,",
                        "          'date': type(doc['c']['d']).__name__,"
                                + " 'libyaml': yaml.__with_libyaml__}");
        assertEquals(
                "a: 1\nb:\n- x\n- y\nc:\n  d: 2026-03-01\n  e: null\n", r.get("dumped").asText());
        assertTrue(r.get("same").asBoolean());
        assertEquals("date", r.get("date").asText());
        assertFalse(r.get("libyaml").asBoolean(), "the C loader was removed with the .so");
    }

    @Test
    void dateutilParsesAndAddsARelativeDelta() {
        JsonNode r =
                run(
                        "from dateutil import parser, relativedelta",
                        "d = parser.parse('2026-01-31T10:30:00+02:00')",
                        "result = [(d + relativedelta.relativedelta(months=+1)).isoformat(),",
                        "          parser.parse('March 5, 2026 4pm').isoformat()]");
        assertEquals("2026-02-28T10:30:00+02:00", r.get(0).asText());
        assertEquals("2026-03-05T16:00:00", r.get(1).asText());
    }

    @Test
    void tabulateFormatsATable() {
        JsonNode r =
                run(
                        "from tabulate import tabulate",
                        "result = tabulate([['apple', 3], ['kiwi', 12.5]], headers=['fruit', 'n'],"
                                + " tablefmt='github')");
        assertEquals(
                String.join(
                        "\n",
                        "| fruit   |    n |",
                        "|---------|------|",
                        "| apple   |  3   |",
                        "| kiwi    | 12.5 |"),
                r.asText());
    }

    @Test
    void requestsPreparesARequest() {
        JsonNode r =
                run(
                        "import requests",
                        "p = requests.Request('POST', 'https://api.example.invalid/items',",
                        "                     params={'q': 'a b', 'n': 2}, json={'k': [1, 2]},",
                        "                     headers={'X-Token': 't'}).prepare()",
                        "result = {'method': p.method, 'url': p.url, 'body': p.body.decode(),",
                        "          'type': p.headers['Content-Type'],"
                                + " 'length': p.headers['Content-Length'],",
                        "          'token': p.headers['X-Token'], 'version': requests.__version__}");
        assertEquals("POST", r.get("method").asText());
        assertEquals("https://api.example.invalid/items?q=a+b&n=2", r.get("url").asText());
        assertEquals("{\"k\": [1, 2]}", r.get("body").asText());
        assertEquals("application/json", r.get("type").asText());
        assertEquals("13", r.get("length").asText());
        assertEquals("t", r.get("token").asText());
        assertEquals("2.28.1", r.get("version").asText());
    }

    @Test
    void urllib3ParsesAUrl() {
        JsonNode r =
                run(
                        "import urllib3",
                        "u = urllib3.util.parse_url('https://user@host.example:8443/p/a?x=1#f')",
                        "result = [u.scheme, u.auth, u.host, u.port, u.path, u.query, u.fragment]");
        assertEquals(
                "[\"https\",\"user\",\"host.example\",8443,\"/p/a\",\"x=1\",\"f\"]", r.toString());
    }

    @Test
    void idnaEncodesAndDecodes() {
        JsonNode r =
                run(
                        "import idna",
                        "result = [idna.encode('bücher.example').decode(),"
                                + " idna.decode('xn--bcher-kva.example')]");
        assertEquals("xn--bcher-kva.example", r.get(0).asText());
        assertEquals("bücher.example", r.get(1).asText());
    }

    @Test
    void certifiWhereIsReadableInTheGuest() {
        JsonNode r =
                run(
                        "import certifi, os",
                        "text = open(certifi.where()).read()",
                        "result = {'where': certifi.where(),"
                                + " 'certs': text.count('BEGIN CERTIFICATE')}");
        // Debian's patch: the system bundle, which this test's host provides (see packages()).
        assertEquals("/etc/ssl/certs/ca-certificates.crt", r.get("where").asText());
        assertTrue(r.get("certs").asInt() > 100, r.toString());
    }

    @Test
    void charsetNormalizerDetectsAnEncoding() {
        JsonNode r =
                run(
                        "import charset_normalizer",
                        "text = 'Příliš žluťoučký kůň úpěl ďábelské ódy, a pak šel domů.'",
                        "best = charset_normalizer.from_bytes(text.encode('cp1250')).best()",
                        "result = [best.encoding, str(best) == text]");
        assertEquals("cp1250", r.get(0).asText());
        assertTrue(r.get(1).asBoolean());
    }

    @Test
    void chardetDetectsAnEncoding() {
        JsonNode r =
                run(
                        "import chardet",
                        "text = 'В чащах юга жил бы цитрус? Да, но фальшивый экземпляр! '",
                        "result = chardet.detect(text.encode('windows-1251'))");
        assertEquals("windows-1251", r.get("encoding").asText(), r.toString());
        assertEquals("Russian", r.get("language").asText());
    }

    @Test
    void attrsValidatesAttributes() {
        JsonNode r =
                run(
                        "import attr",
                        "@attr.s(frozen=True)",
                        "class Point:",
                        "    x = attr.ib(validator=attr.validators.instance_of(int))",
                        "    y = attr.ib(default=0, validator=attr.validators.in_([0, 1]))",
                        "def refused(**kw):",
                        "    try:",
                        "        Point(**kw)",
                        "    except (TypeError, ValueError) as e:",
                        "        return type(e).__name__",
                        "    return 'accepted'",
                        "result = [repr(Point(1)), Point(1, 1) == Point(1, 1),"
                                + " refused(x='a'), refused(x=1, y=5)]");
        assertEquals("[\"Point(x=1, y=0)\",true,\"TypeError\",\"ValueError\"]", r.toString());
    }

    @Test
    void sixMovesResolve() {
        JsonNode r =
                run(
                        "import six",
                        "from six.moves import urllib as moved_urllib, reduce",
                        "result = [moved_urllib.parse.quote('a b/c'),"
                                + " reduce(lambda a, b: a + b, [1, 2, 3]), six.PY3]");
        assertEquals("[\"a%20b/c\",6,true]", r.toString());
    }

    @Test
    void h11SerializesARequest() {
        JsonNode r =
                run(
                        "import h11",
                        "c = h11.Connection(h11.CLIENT)",
                        "result = c.send(h11.Request(method='GET', target='/p',"
                                + " headers=[('Host', 'h.example')])).decode()");
        assertEquals("GET /p HTTP/1.1\r\nHost: h.example\r\n\r\n", r.asText());
    }

    @Test
    void rfc3986AndSniffioWork() {
        JsonNode r =
                run(
                        "import rfc3986, sniffio",
                        "u = rfc3986.uri_reference('http://user@h.example:8080/p?q=1')",
                        "try:",
                        "    sniffio.current_async_library()",
                        "    outside = 'detected'",
                        "except sniffio.AsyncLibraryNotFoundError:",
                        "    outside = 'none'",
                        "result = [u.authority, u.port, u.is_valid(), outside]");
        assertEquals("[\"user@h.example:8080\",\"8080\",true,\"none\"]", r.toString());
    }

    @Test
    void importlibMetadataReportsTheLockedVersions() {
        StringBuilder names = new StringBuilder();
        List<DebianPackages.Entry> tested = DebianPackages.group("default");
        for (DebianPackages.Entry e : tested) {
            names.append("'").append(e.distribution()).append("', ");
        }
        JsonNode r =
                run(
                        "import importlib.metadata as md",
                        "result = {n: md.version(n) for n in [" + names + "]}");
        for (DebianPackages.Entry e : tested) {
            assertEquals(
                    e.version(),
                    r.path(e.distribution()).asText(null),
                    e.debName() + " " + e.debVersion());
        }
    }
}
