package dev.eryx.cli;

import dev.eryx.MountMode;
import dev.eryx.NetworkPolicy;
import dev.eryx.PythonPackages;
import dev.eryx.ResourceLimits;
import dev.eryx.Sandbox;
import dev.eryx.Secret;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options that configure a sandbox (limits, mounts, environment, secrets, packages, network),
 * shared as a picocli mixin by {@code eryx -c/SCRIPT}, {@code eryx mcp} and {@code eryx serve}, so
 * that the three read the same flags the same way. Options of a one-shot run ({@code --commit},
 * {@code --json}) are the main command's own.
 */
final class SandboxOptions {

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = Converters.DurationConverter.class,
            description =
                    "Wall-clock limit per execution: 500ms, 10s, 2m, 1h, or none (default: 30s).")
    Duration timeout;

    @Option(
            names = "--fuel",
            paramLabel = "N",
            converter = Converters.FuelConverter.class,
            description =
                    "Fuel limit: guest function entries and loop iterations (default: unlimited).")
    Long fuel;

    @Option(
            names = "--max-memory",
            paramLabel = "SIZE",
            converter = Converters.SizeConverter.class,
            description = "Guest memory limit: 64m, 1g, ... (default: 256m).")
    Long maxMemory;

    @Option(
            names = "--max-output",
            paramLabel = "SIZE",
            converter = Converters.SizeConverter.class,
            description =
                    "Limit on stdout+stderr per execution: 64k, 10m, ... or unlimited (default: 10m).")
    Long maxOutput;

    @Option(
            names = {"-v", "--volume"},
            paramLabel = "HOST:GUEST[:ro|:rw|:staged]",
            converter = Converters.VolumeConverter.class,
            description =
                    "Mount a host directory at an absolute guest path. Read-only unless :rw is given;"
                            + " with :staged the code's writes stay in an overlay (eryx -c lists them"
                            + " on stderr after the run and applies them only with --commit)."
                            + " Repeatable.")
    List<Volume> volumes = new ArrayList<>();

    @Option(
            names = "--env",
            paramLabel = "KEY=VALUE",
            converter = Converters.EnvConverter.class,
            description =
                    "Set an environment variable in the guest. Repeatable. The host's environment is not passed.")
    List<Map.Entry<String, String>> env = new ArrayList<>();

    @Option(
            names = "--secret",
            paramLabel = "NAME@HOST[,HOST...]",
            converter = Converters.SecretConverter.class,
            description =
                    "Give the guest a secret: the value of the host environment variable NAME (never on the command line), seen by the guest as a placeholder in $NAME, substituted only in HTTP headers to the HOSTs. Repeatable.")
    List<SecretOption> secrets = new ArrayList<>();

    @Option(
            names = "--package",
            paramLabel = "PATH",
            description =
                    "Make pure-Python packages importable: a wheel (.whl), a directory of wheels, or an unpacked site-packages tree. Repeatable.")
    List<Path> packagePaths = new ArrayList<>();

    @Option(
            names = "--packages",
            paramLabel = "DIR",
            description =
                    "Make the packages in DIR importable: a directory of wheels or a site-packages tree (as --package). Repeatable.")
    List<Path> packageDirs = new ArrayList<>();

    @Option(
            names = "--ignore-missing",
            paramLabel = "NAME",
            description =
                    "Do not check the packages' requirements on project NAME (missing or of another version): for a dependency the code never imports. Repeatable.")
    List<String> ignoreMissing = new ArrayList<>();

    @Option(
            names = "--allow-host",
            paramLabel = "HOST",
            converter = Converters.HostConverter.class,
            description =
                    "Let the code connect to HOST: a name (api.example.com), *.example.com (its subdomains), or an IP literal; HOST:PORT limits the port. Enables the network (off by default); names resolving to private or special addresses stay refused. Repeatable.")
    List<String> allowHosts = new ArrayList<>();

    @Option(
            names = "--allow-localhost",
            description =
                    "Let the code connect to loopback (localhost, 127.0.0.0/8, ::1). Enables the network.")
    boolean allowLocalhost;

    /** What the package options name, read once (the REPL may build more than one sandbox). */
    private PythonPackages packages;

    /** Whether any option was given: subcommands refuse them before their name. */
    boolean isEmpty() {
        return timeout == null
                && fuel == null
                && maxMemory == null
                && maxOutput == null
                && volumes.isEmpty()
                && env.isEmpty()
                && secrets.isEmpty()
                && packagePaths.isEmpty()
                && packageDirs.isEmpty()
                && ignoreMissing.isEmpty()
                && allowHosts.isEmpty()
                && !allowLocalhost;
    }

    /**
     * The limits of {@code --timeout}, {@code --fuel}, {@code --max-memory} and {@code
     * --max-output}, the library's defaults for the others.
     */
    ResourceLimits limits() {
        ResourceLimits.Builder b = ResourceLimits.defaults().toBuilder();
        if (timeout != null) {
            b.executionTimeout(timeout.equals(Durations.NONE) ? null : timeout);
        }
        if (fuel != null) {
            b.maxFuel(fuel);
        }
        if (maxMemory != null) {
            b.maxMemoryBytes(maxMemory);
        }
        if (maxOutput != null) {
            b.maxOutputBytes(maxOutput);
        }
        return b.build();
    }

    /** The {@code --env} variables, in order; a later one replaces an earlier one. */
    Map<String, String> environment() {
        Map<String, String> map = new LinkedHashMap<>();
        env.forEach(e -> map.put(e.getKey(), e.getValue()));
        return map;
    }

    /** The policy of {@code --allow-host} and {@code --allow-localhost}; null: no network. */
    NetworkPolicy networkPolicy() {
        if (allowHosts.isEmpty() && !allowLocalhost) {
            return null;
        }
        NetworkPolicy.Builder b = NetworkPolicy.builder();
        allowHosts.forEach(b::allowHost);
        if (allowLocalhost) {
            b.allowLocalhost();
        }
        return b.build();
    }

    /**
     * The packages of {@code --packages} and {@code --package}, validated and read once; null when
     * none are given.
     *
     * @throws IllegalArgumentException a source is missing or cannot be used (the message names it)
     */
    PythonPackages packages() {
        if (packages == null && !(packageDirs.isEmpty() && packagePaths.isEmpty())) {
            List<Path> sources = new ArrayList<>();
            for (Path dir : packageDirs) {
                if (!Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("--packages needs a directory: " + dir);
                }
                sources.add(dir);
            }
            for (Path path : packagePaths) {
                if (!Files.exists(path)) {
                    throw new IllegalArgumentException(
                            "--package: no such file or directory: " + path);
                }
                sources.add(path);
            }
            packages =
                    PythonPackages.builder()
                            .add(sources)
                            .ignoreMissing(ignoreMissing.toArray(String[]::new))
                            .build();
        }
        return packages;
    }

    boolean hasStagedVolume() {
        return volumes.stream().anyMatch(v -> v.mode() == MountMode.STAGED);
    }

    /**
     * Whether the sandbox reaches anything of the host's: a mount (even read-only), the network or
     * a secret. A server must then ask for a token.
     */
    boolean grantsHostAccess() {
        return !volumes.isEmpty() || networkPolicy() != null || !secrets.isEmpty();
    }

    /** What a subcommand that builds its own pool takes from these options. */
    record Resolved(
            Consumer<Sandbox.Builder> template, ResourceLimits limits, PythonPackages packages) {}

    /**
     * The template, limits and packages ({@link #template}, {@link #limits}, {@link #packages}),
     * with any refusal reported as a usage error of {@code spec}'s command.
     *
     * @throws ParameterException the options describe a sandbox that cannot be built
     */
    Resolved resolve(UnaryOperator<String> hostEnvironment, CommandSpec spec) {
        try {
            return new Resolved(template(hostEnvironment), limits(), packages());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /**
     * The sandbox these options describe, as a template for {@link Sandbox.Builder}s: limits,
     * mounts, environment, network, secrets and packages. Everything is read and checked now
     * (secret values from {@code hostEnvironment}, the packages from disk), so the template can be
     * applied any number of times, to a sandbox of a pool's as well.
     *
     * @throws IllegalArgumentException a secret's variable is unset or the library refuses it, or a
     *     package source cannot be used (the message names it)
     */
    Consumer<Sandbox.Builder> template(UnaryOperator<String> hostEnvironment) {
        ResourceLimits limits = limits();
        List<Volume> mounts = List.copyOf(volumes);
        Map<String, String> environment = environment();
        NetworkPolicy network = networkPolicy();
        List<Secret> secretValues = new ArrayList<>();
        for (SecretOption secret : secrets) {
            secretValues.add(secret.secret(hostEnvironment));
        }
        PythonPackages pkgs = packages();
        return b -> {
            b.resourceLimits(limits);
            for (Volume v : mounts) {
                b.mount(v.hostDir(), v.guestPath(), v.mode());
            }
            environment.forEach(b::env);
            if (network != null) {
                b.network(network);
            }
            secretValues.forEach(b::secret);
            if (pkgs != null) {
                b.packages(pkgs);
            }
        };
    }
}
