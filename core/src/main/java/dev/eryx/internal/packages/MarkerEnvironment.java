package dev.eryx.internal.packages;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The values of PEP 508's environment markers for one interpreter, looked up by {@link
 * Marker#evaluate}.
 *
 * <p>{@link #wasi()} is the only place that states what eryx's interpreter reports; a test runs the
 * interpreter and compares, so a rebuilt {@code python.wasm} cannot drift from it silently.
 */
public record MarkerEnvironment(
        String osName,
        String sysPlatform,
        String platformMachine,
        String platformSystem,
        String platformRelease,
        String platformVersion,
        String pythonVersion,
        String pythonFullVersion,
        String implementationName,
        String implementationVersion,
        String platformPythonImplementation,
        String extra) {

    private static final MarkerEnvironment WASI =
            new MarkerEnvironment(
                    "posix", // os.name
                    "wasi", // sys.platform
                    "wasm32", // platform.machine()
                    "wasi", // platform.system()
                    "0.0.0", // platform.release(): WASI has no kernel release
                    "0.0.0", // platform.version()
                    "3.14", // '.'.join(platform.python_version_tuple()[:2])
                    "3.14.7", // platform.python_version()
                    "cpython", // sys.implementation.name
                    "3.14.7", // sys.implementation.version, formatted as PEP 508 says
                    "CPython", // platform.python_implementation()
                    ""); // we install no extras

    public MarkerEnvironment {
        Objects.requireNonNull(osName, "osName");
        Objects.requireNonNull(sysPlatform, "sysPlatform");
        Objects.requireNonNull(platformMachine, "platformMachine");
        Objects.requireNonNull(platformSystem, "platformSystem");
        Objects.requireNonNull(platformRelease, "platformRelease");
        Objects.requireNonNull(platformVersion, "platformVersion");
        Objects.requireNonNull(pythonVersion, "pythonVersion");
        Objects.requireNonNull(pythonFullVersion, "pythonFullVersion");
        Objects.requireNonNull(implementationName, "implementationName");
        Objects.requireNonNull(implementationVersion, "implementationVersion");
        Objects.requireNonNull(platformPythonImplementation, "platformPythonImplementation");
        Objects.requireNonNull(extra, "extra");
    }

    /** What eryx's CPython 3.14 on wasm32-wasip1 reports, with {@code extra} empty. */
    public static MarkerEnvironment wasi() {
        return WASI;
    }

    /** This environment with {@code extra} set to {@code extra}. */
    public MarkerEnvironment withExtra(String extra) {
        return new MarkerEnvironment(
                osName,
                sysPlatform,
                platformMachine,
                platformSystem,
                platformRelease,
                platformVersion,
                pythonVersion,
                pythonFullVersion,
                implementationName,
                implementationVersion,
                platformPythonImplementation,
                extra);
    }

    /** The variables by their PEP 508 names, in PEP 508's order. */
    public Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("os_name", osName);
        m.put("sys_platform", sysPlatform);
        m.put("platform_machine", platformMachine);
        m.put("platform_python_implementation", platformPythonImplementation);
        m.put("platform_release", platformRelease);
        m.put("platform_system", platformSystem);
        m.put("platform_version", platformVersion);
        m.put("python_version", pythonVersion);
        m.put("python_full_version", pythonFullVersion);
        m.put("implementation_name", implementationName);
        m.put("implementation_version", implementationVersion);
        m.put("extra", extra);
        return m;
    }

    /**
     * The value of the PEP 508 variable {@code name}.
     *
     * @throws IllegalArgumentException {@code name} is not a PEP 508 marker variable
     */
    public String get(String name) {
        return switch (name) {
            case "os_name" -> osName;
            case "sys_platform" -> sysPlatform;
            case "platform_machine" -> platformMachine;
            case "platform_python_implementation" -> platformPythonImplementation;
            case "platform_release" -> platformRelease;
            case "platform_system" -> platformSystem;
            case "platform_version" -> platformVersion;
            case "python_version" -> pythonVersion;
            case "python_full_version" -> pythonFullVersion;
            case "implementation_name" -> implementationName;
            case "implementation_version" -> implementationVersion;
            case "extra" -> extra;
            default ->
                    throw new IllegalArgumentException("Unknown marker variable \"" + name + "\"");
        };
    }
}
