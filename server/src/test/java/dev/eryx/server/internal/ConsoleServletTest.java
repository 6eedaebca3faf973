package dev.eryx.server.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleServletTest {
    @Test
    void theRootIsThePageAndConsolePathsNameFilesUnderTheConsoleDirectory() {
        assertEquals("index.html", ConsoleServlet.fileName("/"));
        assertEquals("console.js", ConsoleServlet.fileName("/console/console.js"));
        assertEquals("vendor/prism.js", ConsoleServlet.fileName("/console/vendor/prism.js"));
        assertEquals("a-b_c.1.css", ConsoleServlet.fileName("/console/a-b_c.1.css"));
    }

    @Test
    void nothingOutsideTheDirectoryCanBeNamed() {
        for (String path :
                List.of(
                        "/console/",
                        "/console",
                        "/index.html",
                        "/v1/stats",
                        "/console/../internal/ApiServlet.class",
                        "/console/vendor/../../x.txt",
                        "/console/./index.html",
                        "/console/..",
                        "/console//etc/passwd",
                        "/console/vendor/",
                        "/console/a\\..\\b.txt",
                        "/console/a%2e%2e/b.txt",
                        "/console/a b.txt",
                        "/console/é.txt",
                        "/console/a:b.txt")) {
            assertNull(ConsoleServlet.fileName(path), path);
        }
    }
}
