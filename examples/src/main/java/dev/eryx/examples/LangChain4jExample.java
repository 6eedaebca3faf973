package dev.eryx.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.eryx.ResourceLimits;
import dev.eryx.langchain4j.EryxToolProvider;
import dev.eryx.pool.SandboxPool;
import dev.eryx.tool.PythonTool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.MemoryId;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A LangChain4j AI service whose model writes Python and eryx runs it: {@link EryxToolProvider}
 * offers {@code run_python}, and each chat memory id gets a Python session of its own, so a second
 * question can build on the variables of the first. The model here is scripted (it runs offline and
 * needs no key); a comment in {@link #main} shows where a real one goes.
 *
 * <p>Run it: {@code mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.eryx.examples.LangChain4jExample} (after one {@code mvn -DskipTests
 * install}).
 */
public final class LangChain4jExample {
    /** The AI service: LangChain4j implements it, with chat memory and tools per memory id. */
    interface Analyst {
        String ask(@MemoryId String user, @dev.langchain4j.service.UserMessage String question);
    }

    private LangChain4jExample() {}

    public static void main(String[] args) {
        // The scripted model runs offline. A real model goes here instead, for example with
        // dev.langchain4j:langchain4j-open-ai on the class path:
        //   ChatModel model = OpenAiChatModel.builder()
        //           .apiKey(System.getenv("OPENAI_API_KEY")).modelName("gpt-4.1-mini").build();
        ChatModel model = new ScriptedModel();
        run(model, System.out);
    }

    /** Asks two questions for each of two users; returns the answers in order. */
    static List<String> run(ChatModel model, PrintStream out) {
        ResourceLimits limits =
                ResourceLimits.builder()
                        .executionTimeout(Duration.ofSeconds(10))
                        .maxMemoryBytes(256L << 20)
                        .build();
        try (SandboxPool pool = SandboxPool.builder().maxSize(4).resourceLimits(limits).build();
                PythonTool python =
                        PythonTool.builder()
                                .pool(pool)
                                .maxSessions(100) // one per active conversation, LRU beyond
                                .sessionIdleTimeout(Duration.ofMinutes(15))
                                .build()) {
            Analyst analyst =
                    AiServices.builder(Analyst.class)
                            .chatModel(model)
                            .chatMemoryProvider(id -> MessageWindowChatMemory.withMaxMessages(20))
                            .toolProvider(new EryxToolProvider(python))
                            .build();
            List<String> answers = new ArrayList<>();
            for (String user : List.of("ada", "grace")) {
                for (String question :
                        List.of("What are the squares of 1 to 10?", "And their sum?")) {
                    String answer = analyst.ask(user, question);
                    out.println(user + ": " + question + "\n  -> " + answer);
                    answers.add(answer);
                }
            }
            return answers;
        }
    }

    /**
     * Stands in for a model: to a question it answers with a {@code run_python} call (the code an
     * LLM would write for it), and to the tool's result with a sentence quoting it.
     */
    static final class ScriptedModel implements ChatModel {
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final Map<String, String> CODE =
                Map.of(
                        "What are the squares of 1 to 10?",
                        "squares = [n * n for n in range(1, 11)]\nprint(squares)",
                        // Builds on the previous call's variable: the session kept it.
                        "And their sum?",
                        "result = sum(squares)");

        private int calls;

        @Override
        public ChatResponse doChat(ChatRequest request) {
            List<ChatMessage> messages = request.messages();
            ChatMessage last = messages.get(messages.size() - 1);
            if (last instanceof ToolExecutionResultMessage) {
                String output = ((ToolExecutionResultMessage) last).text();
                return respond(AiMessage.from("Python says:\n" + output));
            }
            String question = ((UserMessage) last).singleText();
            String code = CODE.getOrDefault(question, "print('no idea')");
            ToolExecutionRequest call =
                    ToolExecutionRequest.builder()
                            .id("call-" + ++calls)
                            .name(PythonTool.NAME)
                            .arguments(JSON.createObjectNode().put("code", code).toString())
                            .build();
            return respond(AiMessage.from(call));
        }

        private static ChatResponse respond(AiMessage message) {
            return ChatResponse.builder().aiMessage(message).build();
        }
    }
}
