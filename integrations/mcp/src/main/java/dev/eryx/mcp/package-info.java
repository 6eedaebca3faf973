/**
 * An MCP server for eryx: {@link dev.eryx.mcp.EryxMcpServer} offers {@code run_python}, {@code
 * reset} and {@code list_files} over stdio or streamable HTTP, on the MCP Java SDK.
 */
package dev.eryx.mcp;
