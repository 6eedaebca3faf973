package dev.eryx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The shipped interpreter and stdlib: each module imports and does one real thing. */
class StandardLibraryTest {
    private static final String CHECKS =
            String.join(
                    "\n",
                    "import sys",
                    "checks = {}",
                    "def check(name, fn):",
                    "    try:",
                    "        checks[name] = fn()",
                    "    except Exception as e:",
                    "        checks[name] = f'FAILED: {type(e).__name__}: {e}'",
                    "import json, re, asyncio, decimal, datetime, hashlib, zlib, gzip, zipfile, sqlite3, csv, io",
                    "import pathlib, dataclasses, typing, statistics, fractions, collections, itertools, textwrap",
                    "import base64, struct, uuid, xml.etree.ElementTree as ET, email.message, html, urllib.parse",
                    "import bz2, lzma",
                    "check('version', lambda: sys.version.split()[0])",
                    "check('json', lambda: json.loads(json.dumps({'a': [1, 2]}))['a'][1])",
                    "check('re', lambda: re.sub(r'(\\d+)', r'<\\1>', 'a1b22'))",
                    "async def twice(x):",
                    "    await asyncio.sleep(0)",
                    "    return 2 * x",
                    "check('asyncio', lambda: asyncio.run(twice(21)))",
                    "check('decimal', lambda: str(decimal.Decimal('1.1') + decimal.Decimal('2.2')))",
                    "check('datetime', lambda: (datetime.date(2026, 3, 1) - datetime.date(2026, 2, 1)).days)",
                    "check('hashlib', lambda: hashlib.sha256(b'abc').hexdigest()[:16])",
                    "check('zlib', lambda: zlib.decompress(zlib.compress(b'x' * 1000)) == b'x' * 1000)",
                    "check('gzip', lambda: gzip.decompress(gzip.compress(b'hello')).decode())",
                    "def zip_roundtrip():",
                    "    buf = io.BytesIO()",
                    "    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z: z.writestr('a.txt', 'zipped')",
                    "    return zipfile.ZipFile(io.BytesIO(buf.getvalue())).read('a.txt').decode()",
                    "check('zipfile', zip_roundtrip)",
                    "def sql():",
                    "    db = sqlite3.connect(':memory:')",
                    "    db.execute('create table t(x)'); db.executemany('insert into t values (?)', [(i,) for i in range(10)])",
                    "    return db.execute('select sum(x) from t').fetchone()[0]",
                    "check('sqlite3', sql)",
                    "check('csv', lambda: list(csv.reader(io.StringIO('a,b\\n1,2')))[1][1])",
                    "def paths():",
                    "    p = pathlib.Path('/tmp/stdlib-check.txt'); p.write_text('path'); return p.read_text()",
                    "check('pathlib', paths)",
                    "@dataclasses.dataclass",
                    "class P:",
                    "    x: int",
                    "    y: int = 2",
                    "check('dataclasses', lambda: dataclasses.asdict(P(1)))",
                    "check('typing', lambda: typing.get_args(typing.Optional[int])[0].__name__)",
                    "check('statistics', lambda: statistics.median([3, 1, 2]))",
                    "check('fractions', lambda: str(fractions.Fraction(1, 3) + fractions.Fraction(1, 6)))",
                    "check('collections', lambda: collections.Counter('abracadabra').most_common(1)[0][0])",
                    "check('itertools', lambda: list(itertools.accumulate([1, 2, 3])))",
                    "check('textwrap', lambda: textwrap.wrap('aaa bbb ccc', 7))",
                    "check('base64', lambda: base64.b64encode(b'eryx').decode())",
                    "check('struct', lambda: struct.unpack('<I', struct.pack('<I', 258))[0])",
                    "check('uuid', lambda: len(str(uuid.uuid4())))",
                    "check('xml.etree', lambda: ET.fromstring('<a><b n=\"1\"/></a>').find('b').get('n'))",
                    "def mail():",
                    "    m = email.message.EmailMessage(); m['Subject'] = 'hi'; m.set_content('body')",
                    "    return m['Subject']",
                    "check('email', mail)",
                    "check('html', lambda: html.escape('<&>'))",
                    "check('urllib.parse', lambda: urllib.parse.urlparse('https://example.invalid/p?q=1').query)",
                    "check('bz2', lambda: bz2.decompress(bz2.compress(b'bz')).decode())",
                    "check('lzma', lambda: lzma.decompress(lzma.compress(b'xz')).decode())",
                    "result = checks");

    @Test
    void modulesImportAndWork() {
        try (Sandbox sandbox = Sandbox.builder().randomSeed(1).build()) {
            JsonNode r = sandbox.execute(CHECKS).result();
            r.fields()
                    .forEachRemaining(
                            e ->
                                    assertTrue(
                                            !e.getValue().isTextual()
                                                    || !e.getValue().asText().startsWith("FAILED"),
                                            e.getKey() + ": " + e.getValue()));
            assertEquals("3.14.7", r.get("version").asText());
            assertEquals(2, r.get("json").asInt());
            assertEquals("a<1>b<22>", r.get("re").asText());
            assertEquals(42, r.get("asyncio").asInt());
            assertEquals("3.3", r.get("decimal").asText());
            assertEquals(28, r.get("datetime").asInt());
            assertEquals("ba7816bf8f01cfea", r.get("hashlib").asText());
            assertTrue(r.get("zlib").asBoolean());
            assertEquals("hello", r.get("gzip").asText());
            assertEquals("zipped", r.get("zipfile").asText());
            assertEquals(45, r.get("sqlite3").asInt());
            assertEquals("2", r.get("csv").asText());
            assertEquals("path", r.get("pathlib").asText());
            assertEquals(1, r.get("dataclasses").get("x").asInt());
            assertEquals("int", r.get("typing").asText());
            assertEquals(2, r.get("statistics").asInt());
            assertEquals("1/2", r.get("fractions").asText());
            assertEquals("a", r.get("collections").asText());
            assertEquals(6, r.get("itertools").get(2).asInt());
            assertEquals("aaa bbb", r.get("textwrap").get(0).asText());
            assertEquals("ZXJ5eA==", r.get("base64").asText());
            assertEquals(258, r.get("struct").asInt());
            assertEquals(36, r.get("uuid").asInt());
            assertEquals("1", r.get("xml.etree").asText());
            assertEquals("hi", r.get("email").asText());
            assertEquals("&lt;&amp;&gt;", r.get("html").asText());
            assertEquals("q=1", r.get("urllib.parse").asText());
            assertEquals("bz", r.get("bz2").asText());
            assertEquals("xz", r.get("lzma").asText());
        }
    }
}
