/**
 * The {@code run_python} tool as every eryx integration offers it (MCP, LangChain4j, Spring AI, the
 * server): one input schema, one output format, sessions kept in an LRU with a TTL, timeouts capped
 * by the host. Depends on no framework.
 */
module dev.eryx.tool {
    requires transitive dev.eryx.pool;

    exports dev.eryx.tool;
}
