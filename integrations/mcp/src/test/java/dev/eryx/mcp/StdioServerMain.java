package dev.eryx.mcp;

import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import java.io.PrintStream;

/** The stdio server a test starts in a child JVM: what {@code eryx mcp} does, minus the flags. */
public final class StdioServerMain {
    private StdioServerMain() {}

    public static void main(String[] args) {
        // stdout carries the protocol: anything else printing there would corrupt it.
        PrintStream protocol = System.out;
        System.setOut(System.err);
        SandboxPool pool =
                SandboxPool.builder()
                        .minIdle(0)
                        .maxSize(2)
                        .resourceLimits(Fixtures.limits())
                        .build();
        PythonTool tool = PythonTool.builder().pool(pool).ownsPool(true).build();
        try (EryxMcpServer server = EryxMcpServer.builder().tool(tool).ownsTool(true).build()) {
            server.serveStdio(System.in, protocol);
        }
        System.err.println("stdio server: input ended");
    }
}
