package dev.eryx.attacks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eryx.Sandbox;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The guest reaching beyond its interpreter: processes, threads, native code, the network and the
 * host's identity. None of it exists in the wasm build, and each attempt must fail with the error
 * CPython gives on a platform without it. One attacked sandbox serves the class: these attacks
 * change nothing, which is part of what is checked.
 */
class ProcessAndNetworkAttacksTest extends SharedVictimAttacks {
    @Override
    Sandbox newVictim() {
        return Sandbox.builder().env("GIVEN", "by-the-builder").build();
    }

    @Test
    void osSystem() {
        bystander.alongside(
                () -> {
                    assertEquals("AttributeError", attempt("import os\nos.system('id')"));
                    assertEquals(
                            "AttributeError", attempt("import os\nos.execv('/bin/sh', ['sh'])"));
                    assertEquals(
                            "AttributeError",
                            attempt("import os\nos.posix_spawn('/bin/sh', ['sh'], {})"));
                    assertEquals("OSError ENOTSUP", attempt("import os\nos.popen('id').read()"));
                });
    }

    @Test
    void subprocess() {
        bystander.alongside(
                () -> {
                    assertEquals(
                            "OSError ENOTSUP",
                            attempt("import subprocess\nsubprocess.run(['id'])"));
                    assertEquals(
                            "OSError ENOTSUP",
                            attempt(
                                    "import subprocess\nsubprocess.check_output('id', shell=True)"));
                    assertEquals("ModuleNotFoundError", attempt("import _posixsubprocess"));
                });
    }

    @Test
    void fork() {
        bystander.alongside(
                () -> {
                    assertEquals("AttributeError", attempt("import os\nos.fork()"));
                    assertEquals("AttributeError", attempt("import os\nos.forkpty()"));
                    assertEquals("AttributeError", attempt("import os\nos.kill(1, 9)"));
                    assertEquals(
                            "ModuleNotFoundError",
                            attempt(
                                    "import multiprocessing\nmultiprocessing.Process(target=print).start()"));
                });
    }

    @Test
    void threads() {
        bystander.alongside(
                () -> {
                    assertEquals(
                            "RuntimeError",
                            attempt("import threading\nthreading.Thread(target=print).start()"));
                    assertEquals(
                            "RuntimeError",
                            attempt("import _thread\n_thread.start_new_thread(print, ())"));
                    assertEquals(
                            "RuntimeError",
                            attempt(
                                    "import concurrent.futures\n"
                                            + "concurrent.futures.ThreadPoolExecutor().submit(print).result()"));
                    assertEquals(
                            1,
                            sandbox.execute("import threading\nresult = threading.active_count()")
                                    .result()
                                    .asInt());
                });
    }

    @Test
    void ctypes() {
        bystander.alongside(
                () -> {
                    assertEquals("ModuleNotFoundError", attempt("import ctypes"));
                    assertEquals("ModuleNotFoundError", attempt("import _ctypes"));
                    assertEquals("ModuleNotFoundError", attempt("import mmap"));
                    assertEquals("ModuleNotFoundError", attempt("import resource"));
                    // Native extension modules cannot be loaded: there is no dynamic loader.
                    assertEquals(
                            "ImportError",
                            attempt(
                                    "import _imp, importlib.machinery\n"
                                            + "spec = importlib.machinery.ModuleSpec('evil', None, origin='/tmp/evil.so')\n"
                                            + "_imp.create_dynamic(spec)"));
                });
    }

    @Test
    void sockets() {
        bystander.alongside(
                () -> {
                    // Without a NetworkPolicy the host refuses every network operation
                    // (docs/network.md); UDP is refused by the guest before asking.
                    assertEquals(
                            "PermissionError EPERM", attempt("import socket\nsocket.socket()"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt(
                                    "import socket\nsocket.socket(socket.AF_INET, socket.SOCK_DGRAM)"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt("import socket\nsocket.getaddrinfo('localhost', 80)"));
                    assertEquals(
                            "PermissionError EPERM",
                            attempt(
                                    "import socket\nsocket.create_connection(('127.0.0.1', 80), timeout=1)"));
                });
    }

    @Test
    void sniffsHostEnvironment() throws UnknownHostException {
        String probe =
                String.join(
                        "\n",
                        "import os, sys, platform, getpass, time, json, sysconfig",
                        "def safe(f):",
                        "    try:",
                        "        return f()",
                        "    except Exception as e:",
                        "        return type(e).__name__",
                        "result = {",
                        "    'environ': dict(os.environ),",
                        "    'argv': sys.argv,",
                        "    'uname': list(os.uname()),",
                        "    'node': platform.node(),",
                        "    'platform': platform.platform(),",
                        "    'executable': sys.executable,",
                        "    'path': sys.path,",
                        "    'prefix': [sys.prefix, sys.exec_prefix, sys.base_prefix],",
                        "    'cwd': os.getcwd(),",
                        "    'pid': [os.getpid(), safe(lambda: os.getppid())],",
                        "    'user': safe(getpass.getuser),",
                        "    'home': os.path.expanduser('~'),",
                        "    'uid': [safe(lambda: os.getuid()), safe(lambda: os.geteuid())],",
                        "    'cpus': os.cpu_count(),",
                        "    'tz': list(time.tzname),",
                        "    'config': [str(v) for v in sysconfig.get_config_vars().values()][:400],",
                        "    'environ_file': safe(lambda: open('/proc/self/environ').read()),",
                        "}");
        List<String> hostSecrets = hostSecrets();
        bystander.alongside(
                () -> {
                    JsonNode seen = sandbox.execute(probe).result();
                    assertEquals(
                            "{\"GIVEN\":\"by-the-builder\"}",
                            seen.get("environ").toString(),
                            "only what the builder set");
                    assertEquals("[\"\"]", seen.get("argv").toString());
                    assertEquals(
                            "[\"wasi\",\"(none)\",\"0.0.0\",\"0.0.0\",\"wasm32\"]",
                            seen.get("uname").toString());
                    assertEquals("(none)", seen.get("node").asText());
                    assertEquals("~", seen.get("home").asText());
                    assertEquals("/", seen.get("cwd").asText());
                    assertEquals("FileNotFoundError", seen.get("environ_file").asText());
                    String dump = seen.toString();
                    for (String leak : hostSecrets) {
                        assertFalse(
                                dump.contains(leak),
                                "the guest saw the host's " + leak + ": " + dump);
                    }
                });
    }

    /** Host facts a leak would show: environment values, host name, user, JVM paths. */
    private static List<String> hostSecrets() throws UnknownHostException {
        List<String> secrets = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            // Short values ("1", "C", "/") occur in any dump; distinctive ones are what a leak
            // shows.
            if (e.getValue().length() >= 6 && !e.getValue().startsWith("/usr")) {
                secrets.add(e.getValue());
            }
        }
        secrets.add(System.getProperty("java.home"));
        secrets.add(System.getProperty("user.dir"));
        for (String name :
                new String[] {
                    InetAddress.getLocalHost().getHostName(), System.getProperty("user.name")
                }) {
            if (name.length() >= 6) {
                secrets.add(name);
            }
        }
        return secrets;
    }
}
