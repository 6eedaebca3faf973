package dev.eryx.internal.callbacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.eryx.Callback;
import dev.eryx.Effect;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** The per-sandbox bound in front of the executor, driven by hand. */
class CallbackGateTest {
    private final List<Runnable> handedOver = new ArrayList<>();
    private final CallbackGate gate = new CallbackGate(handedOver::add);
    private final CallbackSetup setup =
            CallbackSetup.of(List.of(Callback.of("f", "", args -> 1)), null, null);
    private final Map<Thread, Invocation> runningOn = new ConcurrentHashMap<>();
    private final ResultEncoder encoder = new ResultEncoder(List.of(), 1 << 20);
    private long nextId = 1;

    private Invocation invocation() {
        return new Invocation(
                nextId++,
                setup.get("f"),
                JsonNodeFactory.instance.objectNode(),
                encoder,
                runningOn,
                settled -> {});
    }

    private Invocation dispatched() {
        Invocation invocation = invocation();
        invocation.dispatch(gate, (task, delay, unit) -> null, null);
        return invocation;
    }

    @Test
    void runsUpToTheLimitQueuesUpToTheQueueAndRefusesTheRest() {
        gate.configure(2, 1);
        Invocation a = dispatched();
        Invocation b = dispatched();
        Invocation waiting = dispatched();
        Invocation refused = dispatched();
        assertEquals(2, handedOver.size());
        assertEquals(2, gate.running());
        assertNull(waiting.outcome());
        assertEquals(Effect.Outcome.REJECTED, refused.outcome());

        // a's task returns (settling it): its place goes to the waiting call.
        handedOver.get(0).run();
        assertEquals(Effect.Outcome.OK, a.outcome());
        assertEquals(3, handedOver.size());
        assertEquals(2, gate.running());
        assertNotNull(b);
    }

    @Test
    void aPlaceIsHeldUntilTheTaskReturnsEvenAfterATimeout() {
        gate.configure(1, 5);
        Invocation running = dispatched();
        Invocation waiting = dispatched();
        running.settle(Effect.Outcome.TIMEOUT, null, "TimeoutError", "timed out");
        assertEquals(1, gate.running(), "the thread still runs the function");
        assertEquals(1, handedOver.size());
        handedOver.get(0).run(); // the cancelled task returns at once
        assertEquals(2, handedOver.size());
        assertNull(waiting.outcome());
    }

    @Test
    void aCallSettledWhileWaitingNeverRuns() {
        gate.configure(1, 5);
        dispatched();
        Invocation waiting = dispatched();
        waiting.settle(Effect.Outcome.CANCELLED, null, "CancelledError", "cancelled");
        handedOver.get(0).run();
        assertEquals(1, handedOver.size());
        assertEquals(0, gate.running());
    }

    @Test
    void aRefusingExecutorGivesThePlaceBack() {
        CallbackGate refusing =
                new CallbackGate(
                        task -> {
                            throw new java.util.concurrent.RejectedExecutionException("full");
                        });
        refusing.configure(1, 0);
        for (int i = 0; i < 3; i++) {
            Invocation invocation = invocation();
            invocation.dispatch(refusing, (task, delay, unit) -> null, null);
            assertEquals(Effect.Outcome.ERROR, invocation.outcome());
            assertEquals(0, refusing.running());
        }
        assertTrue(handedOver.isEmpty());
    }
}
