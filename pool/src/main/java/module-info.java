/** A warm pool of sandboxes restored from one interpreter image. */
module dev.eryx.pool {
    // PooledSandbox returns dev.eryx types (ExecutionResult, SandboxFiles) from its own API.
    requires transitive dev.eryx;

    exports dev.eryx.pool;
}
