package dev.eryx.spring.ai;

import java.util.Objects;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.ToolCallbackProvider;

/**
 * Offers eryx's tools to Spring AI: {@code chatClient.prompt().toolCallbacks(provider)}, or as a
 * bean, which Spring AI's tool-calling auto-configuration resolves by name ({@code
 * .toolNames("run_python")}). Today that is the one {@link EryxToolCallback}.
 */
public final class EryxToolCallbackProvider implements ToolCallbackProvider {
    private final EryxToolCallback callback;

    public EryxToolCallbackProvider(EryxToolCallback callback) {
        this.callback = Objects.requireNonNull(callback, "callback");
    }

    /** The {@code run_python} callback. */
    public EryxToolCallback runPython() {
        return callback;
    }

    /** A new array on every call: callers may change it. */
    @Override
    public ToolCallback[] getToolCallbacks() {
        return new ToolCallback[] {callback};
    }
}
