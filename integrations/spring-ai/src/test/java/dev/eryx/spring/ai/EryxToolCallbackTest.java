package dev.eryx.spring.ai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.DefaultToolCallingManager;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.model.tool.ToolCallingManager;
import org.springframework.ai.model.tool.ToolExecutionResult;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;
import org.springframework.ai.tool.execution.ToolExecutionException;

/** The callback over a real pool and tool (one of each for the class), without Boot. */
class EryxToolCallbackTest {
    private static SandboxPool pool;
    private static PythonTool tool;
    private static EryxToolCallback callback;

    @BeforeAll
    static void start() {
        pool = SandboxPool.builder().minIdle(1).maxSize(2).build();
        tool = PythonTool.builder().pool(pool).maxSessions(8).build();
        callback = EryxToolCallback.of(tool);
    }

    @AfterAll
    static void stop() {
        if (tool != null) {
            tool.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    private static ToolContext conversation(String id) {
        return new ToolContext(Map.of(ChatMemory.CONVERSATION_ID, id));
    }

    private static String args(String code) {
        return new ObjectMapper().createObjectNode().put("code", code).toString();
    }

    @Test
    void definitionIsRunPythonWithTheToolsSchema() throws Exception {
        ToolDefinition definition = callback.getToolDefinition();
        assertEquals("run_python", definition.name());
        assertEquals(PythonTool.description(), definition.description());
        JsonNode schema = new ObjectMapper().readTree(definition.inputSchema());
        assertEquals("object", schema.path("type").asText());
        assertTrue(schema.path("properties").has("code"), schema.toString());
        assertTrue(schema.path("properties").has("timeout_ms"), schema.toString());
        assertEquals("code", schema.path("required").path(0).asText(), schema.toString());
        assertFalse(callback.getToolMetadata().returnDirect());
    }

    @Test
    void runsCodeAndReturnsTheToolsText() {
        assertEquals("42", callback.call(args("print(6 * 7)")));
        assertEquals(
                tool.call(null, args("print('same')")).text(),
                callback.call(args("print('same')")));
    }

    @Test
    void pythonErrorsAreTextForTheModelNotExceptions() {
        String text = callback.call(args("1 / 0"));
        assertTrue(text.contains("ZeroDivisionError"), text);
        assertTrue(text.contains("python_error"), text);
    }

    @Test
    void badArgumentsThrowToolExecutionExceptionWithAClearMessage() {
        for (String input : List.of("not json", "{\"timeout_ms\": 5}", "[1]", "", " ")) {
            ToolExecutionException e =
                    assertThrows(ToolExecutionException.class, () -> callback.call(input), input);
            assertSame(callback.getToolDefinition(), e.getToolDefinition());
            assertInstanceOf(IllegalArgumentException.class, e.getCause());
            assertTrue(e.getMessage().startsWith("run_python"), e.getMessage());
        }
        assertThrows(ToolExecutionException.class, () -> callback.call(null, conversation("x")));
    }

    @Test
    void aConversationIdInTheContextIsAPersistentSessionIsolatedFromOthers() {
        assertEquals("(no output)", callback.call(args("x = 41"), conversation("alice")));
        assertEquals("42", callback.call(args("x += 1\nprint(x)"), conversation("alice")));
        assertTrue(tool.hasSession("alice"));

        String bob = callback.call(args("print(x)"), conversation("bob"));
        assertTrue(bob.contains("NameError"), bob);
        String stateless = callback.call(args("print(x)"));
        assertTrue(stateless.contains("NameError"), stateless);
        String noKey = callback.call(args("print(x)"), new ToolContext(Map.of("other", "alice")));
        assertTrue(noKey.contains("NameError"), noKey);

        assertEquals("42", callback.call(args("print(x)"), conversation("alice")));
    }

    @Test
    void aCustomSessionKeyAndNonStringIds() {
        EryxToolCallback byTenant = EryxToolCallback.builder(tool).sessionKey("tenant").build();
        ToolContext ctx = new ToolContext(Map.of("tenant", 7L));
        byTenant.call(args("y = 'seven'"), ctx);
        assertEquals("seven", byTenant.call(args("print(y)"), ctx));
        assertTrue(tool.hasSession("7"));
        assertThrows(
                IllegalArgumentException.class,
                () -> EryxToolCallback.builder(tool).sessionKey(" "));
    }

    @Test
    void providerOffersTheCallback() {
        EryxToolCallbackProvider provider = new EryxToolCallbackProvider(callback);
        ToolCallback[] callbacks = provider.getToolCallbacks();
        assertEquals(1, callbacks.length);
        assertSame(callback, callbacks[0]);
        callbacks[0] = null;
        assertNotNull(provider.getToolCallbacks()[0], "a copy each time");
    }

    /** Spring AI's own tool-calling machinery, with a tool call a model would have made. */
    @Test
    void springAiToolCallingManagerRunsItWithTheConversationsSession() {
        ToolCallingManager manager = DefaultToolCallingManager.builder().build();
        ToolCallingChatOptions options =
                ToolCallingChatOptions.builder()
                        .toolCallbacks(new EryxToolCallbackProvider(callback).getToolCallbacks())
                        .toolContext(ChatMemory.CONVERSATION_ID, "managed")
                        .build();
        Prompt prompt = new Prompt(List.of(new UserMessage("compute")), options);

        assertEquals("(no output)", respond(manager, prompt, args("z = 20")));
        assertEquals("21", respond(manager, prompt, args("print(z + 1)")));
        String error = respond(manager, prompt, args("raise ValueError('nope')"));
        assertTrue(error.contains("ValueError: nope"), error);
        // Bad arguments reach the model as the exception's message (the default processor).
        String bad = respond(manager, prompt, "{\"code\": 3}");
        assertTrue(bad.startsWith("run_python was called with bad arguments"), bad);
    }

    private static String respond(ToolCallingManager manager, Prompt prompt, String arguments) {
        AssistantMessage assistant =
                AssistantMessage.builder()
                        .content("")
                        .toolCalls(
                                List.of(
                                        new AssistantMessage.ToolCall(
                                                "call-1", "function", "run_python", arguments)))
                        .build();
        ToolExecutionResult result =
                manager.executeToolCalls(
                        prompt, new ChatResponse(List.of(new Generation(assistant))));
        List<Message> history = result.conversationHistory();
        ToolResponseMessage response =
                assertInstanceOf(ToolResponseMessage.class, history.get(history.size() - 1));
        assertEquals(1, response.getResponses().size());
        assertEquals("call-1", response.getResponses().get(0).id());
        assertEquals("run_python", response.getResponses().get(0).name());
        return response.getResponses().get(0).responseData();
    }
}
