package dev.eryx.mcp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The server's own contract: its builder's checks, and close() ending what it serves. */
@Timeout(60)
class EryxMcpServerTest {
    private static SandboxPool pool;
    private static PythonTool tool;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(0).maxSize(1).build();
        tool = PythonTool.builder().pool(pool).build();
    }

    @AfterAll
    static void stop() {
        tool.close();
        pool.close();
    }

    @Test
    void theBuilderRefusesWhatCannotWork() {
        IllegalStateException noTool =
                assertThrows(IllegalStateException.class, () -> EryxMcpServer.builder().build());
        assertTrue(noTool.getMessage().contains("tool"), noTool.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EryxMcpServer.builder().name(" "));
        assertThrows(
                IllegalArgumentException.class,
                () -> EryxMcpServer.builder().httpSessionIdleTimeout(Duration.ZERO));
        try (EryxMcpServer server = EryxMcpServer.builder().tool(tool).build()) {
            IllegalArgumentException relative =
                    assertThrows(IllegalArgumentException.class, () -> server.httpServlet("mcp"));
            assertTrue(relative.getMessage().contains("mcp"), relative.getMessage());
        }
    }

    @Test
    void closeEndsAServeStdioThatIsWaitingForInput() throws Exception {
        EryxMcpServer server = EryxMcpServer.builder().tool(tool).build();
        PipedOutputStream client = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(client);
        CompletableFuture<Void> serving =
                CompletableFuture.runAsync(
                        () -> server.serveStdio(in, new ByteArrayOutputStream()));
        Thread.sleep(200);
        assertFalse(serving.isDone(), "serveStdio blocks while its input is open");
        server.close();
        serving.get(30, TimeUnit.SECONDS);
        server.close(); // idempotent
        assertThrows(
                IllegalStateException.class,
                () -> server.serveStdio(in, new ByteArrayOutputStream()));
        assertThrows(IllegalStateException.class, () -> server.httpServlet("/mcp"));
        client.close();
    }

    @Test
    void closeClosesTheToolOnlyWhenItOwnsIt() {
        PythonTool owned = PythonTool.builder().pool(pool).build();
        EryxMcpServer.builder().tool(owned).ownsTool(true).build().close();
        assertThrows(IllegalStateException.class, () -> owned.run(null, "print(1)", null));
    }

    @Test
    void serveStdioReturnsWhenItsInputEnds() throws Exception {
        try (EryxMcpServer server = EryxMcpServer.builder().tool(tool).build()) {
            PipedOutputStream client = new PipedOutputStream();
            PipedInputStream in = new PipedInputStream(client);
            CompletableFuture<Void> serving =
                    CompletableFuture.runAsync(
                            () -> server.serveStdio(in, new ByteArrayOutputStream()));
            client.close();
            serving.get(30, TimeUnit.SECONDS);
        }
    }
}
