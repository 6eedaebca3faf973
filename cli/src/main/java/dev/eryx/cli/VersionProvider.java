package dev.eryx.cli;

import dev.eryx.ExecutionResult;
import dev.eryx.Sandbox;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: eryx's version, and the CPython version asked from a real sandbox. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {
            "eryx " + eryxVersion(),
            "CPython " + cpythonVersion(),
            "Java "
                    + System.getProperty("java.version")
                    + " ("
                    + System.getProperty("java.vm.name")
                    + ")",
        };
    }

    static String eryxVersion() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        String v = VersionProvider.class.getPackage().getImplementationVersion();
        return v == null ? "(unknown version)" : v;
    }

    /** {@code sys.version} of the guest; boots a sandbox, which takes a moment. */
    static String cpythonVersion() {
        try (Sandbox sandbox = Sandbox.builder().build()) {
            ExecutionResult r = sandbox.execute("result = __import__('sys').version");
            return r.result() == null ? "(unknown)" : r.result().asText();
        } catch (RuntimeException | Error e) {
            return "(unavailable: " + e.getMessage() + ")";
        }
    }
}
