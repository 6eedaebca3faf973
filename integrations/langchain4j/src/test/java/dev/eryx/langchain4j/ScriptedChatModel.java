package dev.eryx.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model without a network: to a user message it answers with a call of {@code run_python} whose
 * code is the message (or, when the message starts with <code>{</code>, whose arguments are the
 * message as written); to a tool result it answers {@code "tool said: " + the result's text}. It
 * records every request, so a test can check what reached the model.
 */
final class ScriptedChatModel implements ChatModel {
    static final String ANSWER_PREFIX = "tool said: ";
    private static final ObjectMapper JSON = new ObjectMapper();

    final List<ChatRequest> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();

    @Override
    public ChatResponse doChat(ChatRequest request) {
        requests.add(request);
        List<ChatMessage> messages = request.messages();
        ChatMessage last = messages.get(messages.size() - 1);
        if (last instanceof UserMessage) {
            String text = ((UserMessage) last).singleText();
            String arguments =
                    text.startsWith("{")
                            ? text
                            : JSON.createObjectNode().put("code", text).toString();
            ToolExecutionRequest call =
                    ToolExecutionRequest.builder()
                            .id("call-" + calls.incrementAndGet())
                            .name("run_python")
                            .arguments(arguments)
                            .build();
            return ChatResponse.builder().aiMessage(AiMessage.from(call)).build();
        }
        if (last instanceof ToolExecutionResultMessage) {
            String text = ((ToolExecutionResultMessage) last).text();
            return ChatResponse.builder().aiMessage(AiMessage.from(ANSWER_PREFIX + text)).build();
        }
        throw new AssertionError("unexpected last message: " + last);
    }

    /** The tool result message the model read last. */
    ToolExecutionResultMessage lastToolResult() {
        for (int i = requests.size() - 1; i >= 0; i--) {
            List<ChatMessage> messages = requests.get(i).messages();
            ChatMessage last = messages.get(messages.size() - 1);
            if (last instanceof ToolExecutionResultMessage) {
                return (ToolExecutionResultMessage) last;
            }
        }
        throw new AssertionError("no tool result reached the model");
    }
}
