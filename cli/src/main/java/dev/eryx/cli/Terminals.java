package dev.eryx.cli;

import java.io.Console;
import java.lang.reflect.Method;

/** Whether the process talks to a terminal, the same way on JDK 17 and on JDK 22+. */
final class Terminals {
    private Terminals() {}

    /**
     * True when stdin (and stdout) are a terminal. Up to JDK 21, {@link System#console()} is
     * non-null exactly then; from JDK 22 on it is non-null even when redirected, and {@code
     * Console.isTerminal()} (called reflectively, it does not exist on 17) tells.
     */
    static boolean stdinIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException e) {
            return true; // JDK < 22: a console exists only for a terminal
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }
}
