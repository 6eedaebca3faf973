package dev.eryx.attacks;

import dev.eryx.Sandbox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Attack classes whose attacks leave no trace when they fail as they should: one attacked sandbox
 * serves the whole class, which also checks that the attacks accumulate nothing, and after every
 * attack it must still be usable with its session intact.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SharedVictimAttacks {
    Bystander bystander;
    Victim victim;
    Sandbox sandbox;

    /** The sandbox every attack of the class runs in. */
    abstract Sandbox newVictim();

    @BeforeAll
    void start() {
        bystander = new Bystander();
        victim = new Victim(newVictim());
        sandbox = victim.sandbox();
    }

    @AfterEach
    void attackedSandboxStillWorks() {
        victim.assertUsable();
    }

    @AfterAll
    void stop() {
        try {
            bystander.assertIntact();
        } finally {
            victim.close();
            bystander.close();
        }
    }

    String attempt(String statements) {
        return victim.attempt(statements);
    }
}
