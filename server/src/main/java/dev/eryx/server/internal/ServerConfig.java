package dev.eryx.server.internal;

import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The options {@link dev.eryx.server.EryxServer.Builder} checked, as one immutable value.
 *
 * @param loopback whether {@code host} resolves only to loopback addresses
 * @param token the bearer token, or null for none
 * @param allowedHosts null for the default (derived from the bound address)
 * @param allowedOrigins null for the default (derived from the bound address)
 */
public record ServerConfig(
        String host,
        int port,
        boolean loopback,
        String token,
        Consumer<Sandbox.Builder> template,
        ResourceLimits defaultLimits,
        ResourceLimits maxLimits,
        PythonPackages packages,
        int poolSize,
        Duration acquireTimeout,
        int maxSessions,
        Duration sessionIdleTimeout,
        byte[] stateKey,
        int maxRequestBytes,
        int maxConcurrentPerToken,
        List<String> allowedHosts,
        List<String> allowedOrigins) {}
