package dev.eryx.spring.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import dev.eryx.Verdict;
import dev.eryx.pool.PoolExhaustedException;
import dev.eryx.pool.PooledSandbox;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.execution.ToolExecutionException;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ClassPathResource;

/**
 * The auto-configuration in Boot's own test runner: each run is a real application context with a
 * real pool (min-idle 0 where no code runs, so the context starts without a sandbox).
 */
class EryxAutoConfigurationTest {
    private final ApplicationContextRunner runner =
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(EryxAutoConfiguration.class))
                    .withPropertyValues("eryx.pool.min-idle=0");

    private static String args(String code) {
        return new ObjectMapper().createObjectNode().put("code", code).toString();
    }

    @Test
    void registeredForBootsAutoConfiguration() throws Exception {
        String imports =
                new String(
                        new ClassPathResource(
                                        "META-INF/spring/org.springframework.boot.autoconfigure.AutoConfiguration.imports")
                                .getContentAsByteArray(),
                        java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(List.of(EryxAutoConfiguration.class.getName()), imports.lines().toList());
    }

    @Test
    void createsThePoolTheToolAndTheProviderAndClosesThem() {
        AtomicReference<SandboxPool> pool = new AtomicReference<>();
        AtomicReference<PythonTool> tool = new AtomicReference<>();
        runner.run(
                context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(SandboxPool.class);
                    assertThat(context).hasSingleBean(PythonTool.class);
                    assertThat(context).hasSingleBean(EryxToolCallbackProvider.class);
                    assertThat(context).hasSingleBean(EryxProperties.class);
                    pool.set(context.getBean(SandboxPool.class));
                    tool.set(context.getBean(PythonTool.class));

                    EryxToolCallbackProvider provider =
                            context.getBean(EryxToolCallbackProvider.class);
                    ToolCallback[] callbacks = provider.getToolCallbacks();
                    assertEquals(1, callbacks.length);
                    assertEquals("run_python", callbacks[0].getToolDefinition().name());
                    assertSame(tool.get(), provider.runPython().tool());
                    assertEquals(ChatMemory.CONVERSATION_ID, provider.runPython().sessionKey());
                    assertTrue(
                            new ObjectMapper()
                                    .readTree(callbacks[0].getToolDefinition().inputSchema())
                                    .isObject());
                    assertEquals(Duration.ofSeconds(30), tool.get().maxTimeout());
                });
        assertThrows(IllegalStateException.class, () -> pool.get().acquire(), "pool closed");
        assertThrows(
                IllegalStateException.class, () -> tool.get().run(null, "1", null), "tool closed");
    }

    @Test
    void theCallbackRunsCodeWithSessionsFromTheToolContext() {
        runner.run(
                context -> {
                    ToolCallback callback =
                            context.getBean(EryxToolCallbackProvider.class).getToolCallbacks()[0];
                    assertEquals("42", callback.call(args("print(6 * 7)")));
                    ToolContext one = new ToolContext(Map.of(ChatMemory.CONVERSATION_ID, "one"));
                    ToolContext two = new ToolContext(Map.of(ChatMemory.CONVERSATION_ID, "two"));
                    callback.call(args("v = 'kept'"), one);
                    assertEquals("kept", callback.call(args("print(v)"), one));
                    String other = callback.call(args("print(v)"), two);
                    assertTrue(other.contains("NameError"), other);
                    assertEquals(2, context.getBean(PythonTool.class).sessionCount());
                });
    }

    @Test
    void propertiesBindAndTheLimitsApply() {
        runner.withPropertyValues(
                        "eryx.pool.max-size=3",
                        "eryx.pool.acquire-timeout=2s",
                        "eryx.pool.preload=json",
                        "eryx.limits.timeout=1s",
                        "eryx.limits.memory=64MB",
                        "eryx.limits.output=1KB",
                        "eryx.limits.fuel=2000000000",
                        "eryx.max-timeout=1500ms",
                        "eryx.sessions.max=5",
                        "eryx.sessions.ttl=10m",
                        "eryx.sessions.context-key=tenant")
                .run(
                        context -> {
                            assertThat(context).hasNotFailed();
                            EryxProperties properties = context.getBean(EryxProperties.class);
                            assertEquals(Duration.ofMinutes(10), properties.getSessions().getTtl());
                            assertEquals(64L << 20, properties.getLimits().getMemory().toBytes());
                            assertEquals(List.of("json"), properties.getPool().getPreload());

                            SandboxPool pool = context.getBean(SandboxPool.class);
                            assertEquals(3, pool.capacity());
                            ResourceLimits limits = pool.resourceLimits();
                            assertEquals(Duration.ofSeconds(1), limits.executionTimeout());
                            assertEquals(64L << 20, limits.maxMemoryBytes());
                            assertEquals(1024, limits.maxOutputBytes());
                            assertEquals(2_000_000_000L, limits.maxFuel());
                            PythonTool tool = context.getBean(PythonTool.class);
                            assertEquals(Duration.ofMillis(1500), tool.maxTimeout());

                            assertEquals(
                                    Verdict.TIMEOUT,
                                    tool.run(null, "while True: pass", null).verdict());
                            assertEquals(
                                    Verdict.OUTPUT,
                                    tool.run(null, "print('x' * 4000)", null).verdict());
                            assertEquals(
                                    Verdict.MEMORY,
                                    tool.run(null, "b = bytearray(200 << 20)", null).verdict());
                            assertEquals(Verdict.OK, tool.run(null, "import json", null).verdict());

                            EryxToolCallback callback =
                                    context.getBean(EryxToolCallbackProvider.class).runPython();
                            assertEquals("tenant", callback.sessionKey());
                            String text = callback.call(args("while True: pass"));
                            assertTrue(text.contains("[error: timeout]"), text);
                        });
    }

    @Test
    void aBusyPoolIsAToolExecutionExceptionAfterTheAcquireTimeout() {
        runner.withPropertyValues("eryx.pool.max-size=1", "eryx.pool.acquire-timeout=200ms")
                .run(
                        context -> {
                            EryxToolCallback callback =
                                    context.getBean(EryxToolCallbackProvider.class).runPython();
                            try (PooledSandbox held =
                                    context.getBean(SandboxPool.class).acquire()) {
                                ToolExecutionException e =
                                        assertThrows(
                                                ToolExecutionException.class,
                                                () -> callback.call(args("print(1)")));
                                assertTrue(
                                        e.getMessage().startsWith("run_python is busy"),
                                        e.getMessage());
                                assertInstanceOf(
                                        PoolExhaustedException.class, e.getCause().getCause());
                            }
                            assertEquals("1", callback.call(args("print(1)")));
                        });
    }

    @Test
    void aFuelPropertyStopsALoop() {
        runner.withPropertyValues("eryx.limits.fuel=50000000")
                .run(
                        context ->
                                assertEquals(
                                        Verdict.FUEL,
                                        context.getBean(PythonTool.class)
                                                .run(null, "while True: pass", null)
                                                .verdict()));
    }

    @Test
    void badPropertiesFailTheContextWithAClearMessage() {
        runner.withPropertyValues("eryx.pool.max-size=0")
                .run(
                        context -> {
                            assertThat(context).hasFailed();
                            assertThat(context.getStartupFailure())
                                    .rootCause()
                                    .hasMessageContaining("maxSize");
                        });
    }

    @Test
    void offWhenDisabled() {
        runner.withPropertyValues("eryx.enabled=false")
                .run(
                        context -> {
                            assertThat(context).doesNotHaveBean(SandboxPool.class);
                            assertThat(context).doesNotHaveBean(PythonTool.class);
                            assertThat(context).doesNotHaveBean(EryxToolCallbackProvider.class);
                        });
    }

    @Test
    void theApplicationsPoolWinsAndStaysTheApplications() {
        runner.withUserConfiguration(UserPool.class)
                .run(
                        context -> {
                            assertThat(context).hasSingleBean(SandboxPool.class);
                            SandboxPool pool = context.getBean(SandboxPool.class);
                            assertEquals(1, pool.capacity());
                            assertEquals(
                                    Verdict.OK,
                                    context.getBean(PythonTool.class)
                                            .run(null, "pass", null)
                                            .verdict());
                        });
    }

    @Test
    void theApplicationsToolWins() {
        runner.withUserConfiguration(UserTool.class)
                .run(
                        context -> {
                            assertThat(context).hasSingleBean(PythonTool.class);
                            PythonTool tool = context.getBean(PythonTool.class);
                            assertEquals(Duration.ofSeconds(3), tool.maxTimeout());
                            assertSame(
                                    tool,
                                    context.getBean(EryxToolCallbackProvider.class)
                                            .runPython()
                                            .tool());
                        });
    }

    @Test
    void theApplicationsProviderWins() {
        runner.withUserConfiguration(UserProvider.class)
                .run(
                        context -> {
                            assertThat(context).hasSingleBean(EryxToolCallbackProvider.class);
                            assertEquals(
                                    "custom",
                                    context.getBean(EryxToolCallbackProvider.class)
                                            .runPython()
                                            .getToolDefinition()
                                            .description());
                        });
    }

    @Test
    void customizersAdjustThePool() {
        runner.withBean(EryxPoolCustomizer.class, () -> b -> b.maxSize(2))
                .withPropertyValues("eryx.pool.max-size=5")
                .run(context -> assertEquals(2, context.getBean(SandboxPool.class).capacity()));
    }

    @Configuration(proxyBeanMethods = false)
    static class UserPool {
        @Bean(destroyMethod = "close")
        SandboxPool myPool() {
            return SandboxPool.builder().minIdle(0).maxSize(1).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserTool {
        @Bean(destroyMethod = "close")
        PythonTool myTool(SandboxPool pool) {
            return PythonTool.builder().pool(pool).maxTimeout(Duration.ofSeconds(3)).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserProvider {
        @Bean
        EryxToolCallbackProvider myProvider(PythonTool tool) {
            return new EryxToolCallbackProvider(
                    EryxToolCallback.builder(tool).description("custom").build());
        }
    }
}
