/*
 * Reactor entry points of python.wasm.
 *
 * The module is linked as a WASI *reactor* (-mexec-model=reactor), not a command: the host calls
 * `_initialize` (libc constructors), then `eryx_init` once, then `eryx_exec` once per execution.
 * Between calls no guest frame is live, so the host can snapshot linear memory and globals right
 * after `eryx_init` (plus preloaded imports) and restore that image into fresh instances — the
 * Wizer model. A command module cannot do that: its state only exists inside `_start`.
 *
 * All policy (what to run, how to report) lives in the Python package `eryx._runtime`; this file
 * only boots the interpreter and calls into it.
 */
#include "Python.h"

#define ERYX_STDLIB_DIR L"/usr/local/lib/python3.14"
#define ERYX_RUNTIME_DIR L"/usr/local/lib/eryx"

static PyObject *runtime_execute; /* eryx._runtime.execute, held for the life of the instance */

static int report_status(PyStatus status) {
    if (status.err_msg != NULL) {
        fprintf(stderr, "eryx: interpreter start-up failed in %s: %s\n",
                status.func ? status.func : "?", status.err_msg);
    }
    return 1;
}

__attribute__((export_name("eryx_init")))
int eryx_init(void) {
    PyPreConfig preconfig;
    PyPreConfig_InitIsolatedConfig(&preconfig);
    preconfig.utf8_mode = 1; /* the sandbox always speaks UTF-8, whatever the host locale */
    PyStatus status = Py_PreInitialize(&preconfig);
    if (PyStatus_Exception(status)) {
        return report_status(status);
    }

    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.site_import = 0;       /* no site-packages exist; site costs start-up time */
    config.write_bytecode = 0;    /* the stdlib is read-only and ships its .pyc */
    config.buffered_stdio = 0;    /* stream output to the host as it is printed */
    config.install_signal_handlers = 1; /* SIGINT -> KeyboardInterrupt for the cooperative interrupt */
    config.use_hash_seed = 1;     /* a fixed hash seed makes fuel consumption deterministic */
    config.hash_seed = 0;
    config.parse_argv = 0;
    config.module_search_paths_set = 1;

    status = PyConfig_SetString(&config, &config.program_name, L"python3.14");
    if (!PyStatus_Exception(status)) {
        status = PyConfig_SetString(&config, &config.home, L"/usr/local");
    }
    if (!PyStatus_Exception(status)) {
        status = PyWideStringList_Append(&config.module_search_paths, ERYX_RUNTIME_DIR);
    }
    if (!PyStatus_Exception(status)) {
        status = PyWideStringList_Append(&config.module_search_paths, ERYX_STDLIB_DIR);
    }
    if (!PyStatus_Exception(status)) {
        status = Py_InitializeFromConfig(&config);
    }
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
        return report_status(status);
    }

    PyObject *module = PyImport_ImportModule("eryx._runtime");
    if (module == NULL) {
        PyErr_Print();
        return 1;
    }
    runtime_execute = PyObject_GetAttrString(module, "execute");
    Py_DECREF(module);
    if (runtime_execute == NULL) {
        PyErr_Print();
        return 1;
    }
    return 0;
}

/* Runs one execution; the request and the outcome travel through the `_eryx` bridge. Returns 0
 * when the runtime reported an outcome (even a Python exception), 1 when the runtime itself failed. */
__attribute__((export_name("eryx_exec")))
int eryx_exec(void) {
    if (runtime_execute == NULL) {
        fprintf(stderr, "eryx: eryx_exec called before a successful eryx_init\n");
        return 1;
    }
    PyObject *outcome = PyObject_CallNoArgs(runtime_execute);
    if (outcome == NULL) {
        PyErr_Print();
        return 1;
    }
    Py_DECREF(outcome);
    return 0;
}
