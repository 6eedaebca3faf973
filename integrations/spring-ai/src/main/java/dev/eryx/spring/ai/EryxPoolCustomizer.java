package dev.eryx.spring.ai;

import dev.eryx.pool.SandboxPool;

/**
 * A bean of this type adjusts the pool {@link EryxAutoConfiguration} builds, after the {@code
 * eryx.*} properties are applied: a sandbox template (env, files, mounts, callbacks), packages, a
 * listener such as {@code dev.eryx.micrometer.EryxPoolMetrics}. Several are applied in their
 * {@code @Order}. An application that defines its own {@link SandboxPool} bean needs none.
 */
@FunctionalInterface
public interface EryxPoolCustomizer {
    void customize(SandboxPool.Builder builder);
}
