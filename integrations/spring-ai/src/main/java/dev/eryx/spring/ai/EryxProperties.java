package dev.eryx.spring.ai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The {@code eryx.*} properties of {@link EryxAutoConfiguration}: the pool, the limits of every
 * execution, the cap on a call's timeout, and the sessions.
 *
 * <pre>
 * eryx.pool.max-size=4
 * eryx.limits.timeout=10s
 * eryx.limits.memory=128MB
 * eryx.sessions.max=32
 * </pre>
 */
@ConfigurationProperties("eryx")
public class EryxProperties {
    /** Whether the auto-configuration creates eryx's beans at all. */
    private boolean enabled = true;

    /**
     * The longest timeout a model may ask for with timeout_ms, and the timeout of a call that asks
     * for none. Default: eryx.limits.timeout.
     */
    private Duration maxTimeout;

    private final Pool pool = new Pool();
    private final Limits limits = new Limits();
    private final Sessions sessions = new Sessions();

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Duration getMaxTimeout() {
        return maxTimeout;
    }

    public void setMaxTimeout(Duration maxTimeout) {
        this.maxTimeout = maxTimeout;
    }

    /** The sandbox pool stateless calls borrow from. */
    public Pool getPool() {
        return pool;
    }

    /** The limits of every execution. */
    public Limits getLimits() {
        return limits;
    }

    /** The per-conversation sessions. */
    public Sessions getSessions() {
        return sessions;
    }

    /** {@code eryx.pool.*}. */
    public static class Pool {
        /**
         * Most sandboxes alive at once, lent or idle: the cap on concurrent stateless calls.
         * Default: the number of CPUs, at least 2.
         */
        private Integer maxSize;

        /** Sandboxes kept ready in the background. */
        private int minIdle = 1;

        /** How long a stateless call waits for a free sandbox before it fails. */
        private Duration acquireTimeout = Duration.ofSeconds(30);

        /** Modules imported once into the pool's image, so no call pays for importing them. */
        private List<String> preload = new ArrayList<>();

        public Integer getMaxSize() {
            return maxSize;
        }

        public void setMaxSize(Integer maxSize) {
            this.maxSize = maxSize;
        }

        public int getMinIdle() {
            return minIdle;
        }

        public void setMinIdle(int minIdle) {
            this.minIdle = minIdle;
        }

        public Duration getAcquireTimeout() {
            return acquireTimeout;
        }

        public void setAcquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
        }

        public List<String> getPreload() {
            return preload;
        }

        public void setPreload(List<String> preload) {
            this.preload = preload;
        }
    }

    /** {@code eryx.limits.*}: what one execution may consume. */
    public static class Limits {
        /** Wall-clock budget of one execution. */
        private Duration timeout = Duration.ofSeconds(30);

        /** Guest memory of each sandbox. */
        private DataSize memory = DataSize.ofMegabytes(256);

        /** Fuel (deterministic instruction budget) of one execution; unset means unlimited. */
        private Long fuel;

        /** Stdout and stderr of one execution together. */
        private DataSize output = DataSize.ofMegabytes(10);

        public Duration getTimeout() {
            return timeout;
        }

        public void setTimeout(Duration timeout) {
            this.timeout = timeout;
        }

        public DataSize getMemory() {
            return memory;
        }

        public void setMemory(DataSize memory) {
            this.memory = memory;
        }

        public Long getFuel() {
            return fuel;
        }

        public void setFuel(Long fuel) {
            this.fuel = fuel;
        }

        public DataSize getOutput() {
            return output;
        }

        public void setOutput(DataSize output) {
            this.output = output;
        }
    }

    /** {@code eryx.sessions.*}: one sandbox per conversation, kept between calls. */
    public static class Sessions {
        /** Most live sessions; the least recently used is closed to make room. */
        private int max = 64;

        /** A session idle this long is closed. */
        private Duration ttl = Duration.ofMinutes(30);

        /**
         * The tool-context key whose value is the session id. Calls whose context lacks it run
         * statelessly.
         */
        // A literal, so the configuration metadata shows it: EryxToolCallback.DEFAULT_SESSION_KEY.
        private String contextKey = "chat_memory_conversation_id";

        public int getMax() {
            return max;
        }

        public void setMax(int max) {
            this.max = max;
        }

        public Duration getTtl() {
            return ttl;
        }

        public void setTtl(Duration ttl) {
            this.ttl = ttl;
        }

        public String getContextKey() {
            return contextKey;
        }

        public void setContextKey(String contextKey) {
            this.contextKey = contextKey;
        }
    }
}
