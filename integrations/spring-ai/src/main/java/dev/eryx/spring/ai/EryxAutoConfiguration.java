package dev.eryx.spring.ai;

import dev.eryx.ResourceLimits;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Boot auto-configuration: a {@link SandboxPool}, a {@link PythonTool} over it and an {@link
 * EryxToolCallbackProvider} offering {@code run_python}, each from the {@link EryxProperties}
 * ({@code eryx.*}) and each only when the application defines no bean of that type. Off with {@code
 * eryx.enabled=false}.
 *
 * <p>The pool and the tool are closed with the context, the tool first (it does not own the pool).
 * The first pool of a JVM boots CPython's image, which takes a few seconds at start-up.
 */
@AutoConfiguration
@ConditionalOnClass({ToolCallback.class, PythonTool.class})
@ConditionalOnBooleanProperty(name = "eryx.enabled", matchIfMissing = true)
@EnableConfigurationProperties(EryxProperties.class)
public class EryxAutoConfiguration {
    /** The pool the tool borrows from: {@code eryx.pool.*}, {@code eryx.limits.*}. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public SandboxPool eryxSandboxPool(
            EryxProperties properties, ObjectProvider<EryxPoolCustomizer> customizers) {
        EryxProperties.Pool pool = properties.getPool();
        SandboxPool.Builder builder =
                SandboxPool.builder()
                        .minIdle(pool.getMinIdle())
                        .acquireTimeout(pool.getAcquireTimeout())
                        .resourceLimits(limits(properties.getLimits()))
                        .preload(pool.getPreload().toArray(String[]::new));
        if (pool.getMaxSize() != null) {
            builder.maxSize(pool.getMaxSize());
        }
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return builder.build();
    }

    /** The tool: {@code eryx.max-timeout}, {@code eryx.sessions.*}. */
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public PythonTool eryxPythonTool(SandboxPool pool, EryxProperties properties) {
        PythonTool.Builder builder =
                PythonTool.builder()
                        .pool(pool)
                        .ownsPool(false)
                        .maxSessions(properties.getSessions().getMax())
                        .sessionIdleTimeout(properties.getSessions().getTtl());
        if (properties.getMaxTimeout() != null) {
            builder.maxTimeout(properties.getMaxTimeout());
        }
        return builder.build();
    }

    /** {@code run_python} for Spring AI; sessions keyed by {@code eryx.sessions.context-key}. */
    @Bean
    @ConditionalOnMissingBean
    public EryxToolCallbackProvider eryxToolCallbackProvider(
            PythonTool tool, EryxProperties properties) {
        return new EryxToolCallbackProvider(
                EryxToolCallback.builder(tool)
                        .sessionKey(properties.getSessions().getContextKey())
                        .build());
    }

    private static ResourceLimits limits(EryxProperties.Limits limits) {
        ResourceLimits.Builder builder =
                ResourceLimits.defaults().toBuilder()
                        .executionTimeout(limits.getTimeout())
                        .maxMemoryBytes(limits.getMemory().toBytes())
                        .maxOutputBytes(limits.getOutput().toBytes());
        if (limits.getFuel() != null) {
            builder.maxFuel(limits.getFuel());
        }
        return builder.build();
    }
}
