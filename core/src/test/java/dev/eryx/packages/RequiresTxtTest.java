package dev.eryx.packages;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.internal.packages.MarkerEnvironment;
import dev.eryx.internal.packages.Requirement;
import dev.eryx.internal.packages.RequiresTxt;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequiresTxtTest {
    @Test
    void convertsSectionsToMarkers() {
        // The shape of Debian's requests and urllib3 egg-info files, plus the other section forms.
        String txt =
                String.join(
                        "\n",
                        "charset_normalizer<3,>=2",
                        "idna<4,>=2.5",
                        "",
                        "# a comment",
                        "[security]",
                        "",
                        "[socks]",
                        "PySocks!=1.5.7,>=1.5.6",
                        "",
                        "[use_chardet_on_py3]",
                        "chardet<6,>=3.0.2",
                        "",
                        "[:python_version < \"3.8\"]",
                        "foo",
                        "",
                        "[x:python_version < \"3.8\"]",
                        "bar",
                        "",
                        "[brotli:(os_name != \"nt\" or python_version >= \"3\") and"
                                + " platform_python_implementation == \"CPython\"]",
                        "brotli>=1.0.9",
                        "[url]",
                        "pip @ file:///tmp/pip.whl",
                        "");
        List<String> expected =
                List.of(
                        "charset_normalizer<3,>=2",
                        "idna<4,>=2.5",
                        "PySocks!=1.5.7,>=1.5.6; extra == \"socks\"",
                        "chardet<6,>=3.0.2; extra == \"use_chardet_on_py3\"",
                        "foo; python_version < \"3.8\"",
                        "bar; (python_version < \"3.8\") and extra == \"x\"",
                        "brotli>=1.0.9; ((os_name != \"nt\" or python_version >= \"3\") and"
                                + " platform_python_implementation == \"CPython\") and extra =="
                                + " \"brotli\"",
                        "pip @ file:///tmp/pip.whl ; extra == \"url\"");
        List<String> got = RequiresTxt.toRequiresDist(txt);
        assertEquals(expected, got);
        // Every line is a valid requirement; only the unconditional ones apply here.
        List<String> applying =
                got.stream()
                        .map(Requirement::parse)
                        .filter(r -> r.appliesTo(MarkerEnvironment.wasi()))
                        .map(Requirement::normalizedName)
                        .toList();
        assertEquals(List.of("charset-normalizer", "idna"), applying);
    }

    @Test
    void emptyAndCommentOnlyFilesHaveNoRequirements() {
        assertEquals(List.of(), RequiresTxt.toRequiresDist(""));
        assertEquals(List.of(), RequiresTxt.toRequiresDist("\n# nothing\r\n\n[i18n]\n"));
        assertEquals(List.of("a", "b"), RequiresTxt.toRequiresDist("a\r\nb\r\n"));
    }

    @Test
    void refusesAnUnclosedSection() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () -> RequiresTxt.toRequiresDist("a\n[socks\nb\n"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("[socks"), e.getMessage());
    }
}
