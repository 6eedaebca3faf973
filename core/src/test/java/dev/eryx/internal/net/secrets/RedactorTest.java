package dev.eryx.internal.net.secrets;

import static dev.eryx.internal.net.secrets.SecretFixtures.OTHER;
import static dev.eryx.internal.net.secrets.SecretFixtures.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Real values → [REDACTED] in strings, byte arrays, streams, and same-length for files. */
class RedactorTest {
    private final Redactor redactor = SecretFixtures.set().redactor();

    @Test
    void stringsAndBytes() {
        assertEquals("a [REDACTED] b [REDACTED]", redactor.redact("a " + TOKEN + " b " + OTHER));
        assertEquals(
                "x[REDACTED][REDACTED]",
                new String(
                        redactor.redact(("x" + TOKEN + TOKEN).getBytes(StandardCharsets.UTF_8)),
                        StandardCharsets.UTF_8));
        assertEquals(null, redactor.redact((String) null));
    }

    @Test
    void aStreamSplitAtEveryPosition() throws IOException {
        String text = "out: " + TOKEN + "\nerr " + OTHER.substring(0, 4) + " " + OTHER + ".";
        byte[] data = text.getBytes(StandardCharsets.UTF_8);
        String want = "out: [REDACTED]\nerr " + OTHER.substring(0, 4) + " [REDACTED].";
        for (int cut = 0; cut <= data.length; cut++) {
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            OutputStream out = redactor.wrap(sink);
            out.write(data, 0, cut);
            out.write(data, cut, data.length - cut);
            out.close();
            assertEquals(want, sink.toString(StandardCharsets.UTF_8), "cut at " + cut);
        }
    }

    @Test
    void sameLengthMasksKeepOffsets() {
        Redactor.SameLength mask = redactor.sameLength();
        byte[] data = ("<" + TOKEN + ">").getBytes(StandardCharsets.UTF_8);
        byte[] masked = mask.apply(data);
        assertEquals(data.length, masked.length);
        assertEquals("<[REDACTED]*********>", new String(masked, StandardCharsets.UTF_8));
        byte[] clean = "nothing here".getBytes(StandardCharsets.UTF_8);
        assertSame(clean, mask.apply(clean));
        assertEquals(TOKEN.length() - 1, mask.overlap());
        assertEquals("[******]", new String(Redactor.mask(8), StandardCharsets.US_ASCII));
    }

    @Test
    void withoutSecretsTheStreamIsTheSame() {
        Redactor none = SecretSet.bind(List.of(), new SplittableRandom(1), Map.of()).redactor();
        OutputStream sink = new ByteArrayOutputStream();
        assertSame(sink, none.wrap(sink));
    }
}
