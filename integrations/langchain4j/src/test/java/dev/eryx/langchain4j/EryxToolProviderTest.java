package dev.eryx.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.eryx.Verdict;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.eryx.tool.ToolOutput;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.exception.ToolArgumentsException;
import dev.langchain4j.invocation.InvocationContext;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.request.json.JsonIntegerSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import dev.langchain4j.service.UserMessage;
import dev.langchain4j.service.tool.ToolExecutionResult;
import dev.langchain4j.service.tool.ToolExecutor;
import dev.langchain4j.service.tool.ToolProviderRequest;
import dev.langchain4j.service.tool.ToolProviderResult;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link EryxToolProvider} driven through LangChain4j's AI services by a scripted model. */
class EryxToolProviderTest {
    interface Assistant {
        String chat(@MemoryId Object memoryId, @UserMessage String message);
    }

    private static SandboxPool pool;
    private static PythonTool pythonTool;
    private static EryxToolProvider provider;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(0).maxSize(2).build();
        pythonTool = PythonTool.builder().pool(pool).maxSessions(8).build();
        provider = new EryxToolProvider(pythonTool);
    }

    @AfterAll
    static void stop() {
        if (provider != null) {
            provider.close();
        }
        if (pythonTool != null) {
            pythonTool.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private static Assistant assistant(ScriptedChatModel model) {
        return AiServices.builder(Assistant.class)
                .chatModel(model)
                .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
                .toolProvider(provider)
                .build();
    }

    @Test
    void theSpecificationIsPythonToolsOwn() {
        ToolSpecification specification = EryxToolProvider.toolSpecification();

        assertEquals(PythonTool.NAME, specification.name());
        assertEquals(PythonTool.description(), specification.description());
        assertInstanceOf(
                JsonStringSchema.class, specification.parameters().properties().get("code"));
        assertInstanceOf(
                JsonIntegerSchema.class, specification.parameters().properties().get("timeout_ms"));
        assertEquals(List.of("code"), specification.parameters().required());
    }

    @Test
    void theToolResultReachesTheModelUnflagged() {
        ScriptedChatModel model = new ScriptedChatModel();

        String answer = assistant(model).chat("first", "print(6 * 7)");

        assertEquals("tool said: 42", answer);
        assertEquals(2, model.requests.size());
        assertEquals(
                List.of(EryxToolProvider.toolSpecification()),
                model.requests.get(0).toolSpecifications());
        ToolExecutionResultMessage result = model.lastToolResult();
        assertEquals("42", result.text());
        assertFalse(Boolean.TRUE.equals(result.isError()), "an OK result is not an error");
    }

    @Test
    void stateCarriesOverWithinAMemoryIdAndNotAcrossThem() {
        Assistant assistant = assistant(new ScriptedChatModel());

        assistant.chat(1, "import math\nr = math.isqrt(1764)");
        assertEquals("tool said: 42", assistant.chat(1, "print(r)"));
        String other = assistant.chat(2, "print(r)");

        assertTrue(other.contains("NameError"), other);
        assertTrue(pythonTool.hasSession("1"));
        assertTrue(pythonTool.hasSession("2"));
    }

    @Test
    void aPythonErrorComesBackFlaggedWithTheTraceback() {
        ScriptedChatModel model = new ScriptedChatModel();

        String answer = assistant(model).chat("carol", "print('before')\n1 / 0");

        ToolExecutionResultMessage result = model.lastToolResult();
        assertEquals(Boolean.TRUE, result.isError());
        assertTrue(result.text().startsWith("before\n"), result.text());
        assertTrue(result.text().contains("Traceback (most recent call last)"), result.text());
        assertTrue(result.text().contains("ZeroDivisionError"), result.text());
        assertTrue(answer.endsWith(result.text()), answer);
    }

    @Test
    void theExecutorTakesTheMemoryIdFromTheContextAndReturnsTheOutput() {
        ToolProviderResult tools = provider.provideTools(request());
        ToolExecutor executor = tools.toolExecutorByName(PythonTool.NAME);
        assertNotNull(executor);

        ToolExecutionResult result =
                executor.executeWithContext(
                        call("{\"code\": \"v = 5\\nresult = v * 2\"}"),
                        InvocationContext.builder().chatMemoryId("ctx").build());

        assertFalse(result.isError());
        ToolOutput output = assertInstanceOf(ToolOutput.class, result.result());
        assertEquals(Verdict.OK, output.verdict());
        assertEquals(10, output.result().asInt());
        assertEquals(output.text(), result.resultText());
        assertEquals("5", executor.execute(call("{\"code\": \"print(v)\"}"), "ctx"));
        assertTrue(executor.execute(call("{\"code\": \"print(v)\"}"), null).contains("NameError"));
        assertSame(executor, provider.provideTools(request()).toolExecutorByName(PythonTool.NAME));
    }

    @Test
    void malformedArgumentsAreToolArgumentErrors() {
        ToolExecutor executor =
                provider.provideTools(request()).toolExecutorByName(PythonTool.NAME);

        for (String arguments :
                List.of(
                        "",
                        "{",
                        "{\"cod\": \"1\"}",
                        "{\"code\": 1}",
                        "{\"code\": \"1\", \"timeout_ms\": 0}")) {
            ToolArgumentsException e =
                    assertThrows(
                            ToolArgumentsException.class,
                            () -> executor.execute(call(arguments), "args"),
                            arguments);
            assertNotNull(e.getMessage(), arguments);
        }
        assertFalse(pythonTool.hasSession("args"));
    }

    private static ToolProviderRequest request() {
        return new ToolProviderRequest("x", dev.langchain4j.data.message.UserMessage.from("hi"));
    }

    private static ToolExecutionRequest call(String arguments) {
        return ToolExecutionRequest.builder()
                .id("1")
                .name(PythonTool.NAME)
                .arguments(arguments)
                .build();
    }
}
