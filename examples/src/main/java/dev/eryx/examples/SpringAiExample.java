package dev.eryx.examples;

import dev.eryx.spring.ai.EryxToolCallbackProvider;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.ai.chat.memory.ChatMemory;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.boot.Banner;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * A Boot application with the eryx starter on its class path: the auto-configuration creates the
 * pool, the tool and the {@link EryxToolCallbackProvider} from {@code eryx.*} properties, and the
 * application only asks for the provider. Here the calls a model would make are made by hand, so it
 * runs offline; with a model, the provider goes to the chat client:
 *
 * <pre>{@code
 * chatClient.prompt("What is the 30th Fibonacci number?")
 *         .toolCallbacks(tools)
 *         .toolContext(Map.of(ChatMemory.CONVERSATION_ID, conversationId))
 *         .call()
 *         .content();
 * }</pre>
 *
 * <p>Run it: {@code mvn -q -pl examples exec:java
 * -Dexec.mainClass=dev.eryx.examples.SpringAiExample} (after one {@code mvn -DskipTests install}).
 */
@Configuration(proxyBeanMethods = false)
@EnableAutoConfiguration
public class SpringAiExample {
    public static void main(String[] args) {
        run(System.out, args);
    }

    /** Starts the application, makes four tool calls, prints and returns their results. */
    static List<String> run(PrintStream out, String... args) {
        try (ConfigurableApplicationContext context =
                new SpringApplicationBuilder(SpringAiExample.class)
                        .web(WebApplicationType.NONE)
                        .bannerMode(Banner.Mode.OFF)
                        // What application.properties would hold.
                        .properties(
                                "eryx.pool.max-size=2",
                                "eryx.limits.timeout=10s",
                                "eryx.limits.memory=128MB",
                                "eryx.sessions.max=16")
                        .run(args)) {
            EryxToolCallbackProvider tools = context.getBean(EryxToolCallbackProvider.class);
            ToolCallback runPython = tools.getToolCallbacks()[0];
            // Spring AI passes the chat's tool context to the callback; the conversation id in it
            // selects the session, so state carries over between this conversation's calls.
            ToolContext conversation = new ToolContext(Map.of(ChatMemory.CONVERSATION_ID, "demo"));

            List<String> answers = new ArrayList<>();
            answers.add(
                    call(
                            out,
                            runPython,
                            conversation,
                            "{\"code\": \"fib = [0, 1]\\nwhile len(fib) < 31: fib.append(fib[-1] +"
                                    + " fib[-2])\\nprint(fib[30])\"}"));
            answers.add(
                    call(
                            out,
                            runPython,
                            conversation,
                            "{\"code\": \"result = {'count': len(fib), 'last': fib[-1]}\"}"));
            answers.add(call(out, runPython, conversation, "{\"code\": \"fib[100]\"}"));
            answers.add(
                    call(
                            out,
                            runPython,
                            null,
                            "{\"code\": \"while True: pass\", \"timeout_ms\": 300}"));
            return answers;
        }
    }

    private static String call(
            PrintStream out, ToolCallback tool, ToolContext context, String arguments) {
        String answer = context == null ? tool.call(arguments) : tool.call(arguments, context);
        out.println("> run_python " + arguments);
        out.println(answer);
        out.println();
        return answer;
    }
}
