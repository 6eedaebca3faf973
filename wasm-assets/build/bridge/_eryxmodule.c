/* _eryx: the guest side of eryx's host bridge (docs/bridge-abi.md, ABI version 1).
 *
 * Built into python.wasm as a static built-in module. It wraps the two imports of module "eryx"
 * and defines the data the host reads and writes through exports:
 *   eryx_interrupt_flag  int32 in linear memory; the host writes 1 to request a KeyboardInterrupt
 *                        (polled by the interpreter's dispatch loop, see patches/).
 *   eryx_fuel            int64 in linear memory, decremented by the fuel instrumentation; starts
 *                        at INT64_MAX so an uninstrumented or unlimited run never traps.
 *   eryx_abi_version()   returns 1.
 * Operation codes mean nothing here: invoke() forwards the int. They are declared by the host
 * (dev.eryx.internal.bridge.BridgeOp) and used by the guest through eryx/_bridge.py.
 */
#define PY_SSIZE_T_CLEAN
#include "Python.h"
#include <stdint.h>
#include <stdlib.h>

#define ERYX_ABI_VERSION 1
#define ERYX_ERR_ERROR (-1)
#define ERYX_ERR_UNKNOWN_OP (-2)
#define ERYX_ERR_TIMEOUT (-3)

#ifdef __wasm__
#  define ERYX_IMPORT(name) __attribute__((import_module("eryx"), import_name(name)))
#  define ERYX_EXPORT(name) __attribute__((used, visibility("default"), export_name(name)))
#else
#  define ERYX_IMPORT(name)
#  define ERYX_EXPORT(name) __attribute__((used, visibility("default")))
#endif

ERYX_IMPORT("invoke") int32_t eryx_host_invoke(int32_t op, const void *in_ptr, int32_t in_len);
ERYX_IMPORT("take_response") int32_t eryx_host_take_response(void *out_ptr, int32_t out_len);

/* Exported (by address) with -Wl,--export=...; "used" keeps them alive in the object. */
__attribute__((used, visibility("default"))) volatile int32_t eryx_interrupt_flag = 0;
__attribute__((used, visibility("default"))) volatile int64_t eryx_fuel = INT64_MAX;

ERYX_EXPORT("eryx_abi_version") int32_t
eryx_abi_version(void)
{
    return ERYX_ABI_VERSION;
}

/* Fetch the pending response (len bytes) into a new bytes object. */
static PyObject *
take_response_bytes(int32_t len)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, len);
    if (out == NULL) {
        /* Drop the host's pending response so it does not leak into the next call. */
        (void)eryx_host_take_response(NULL, 0);
        return NULL;
    }
    int32_t got = len > 0 ? eryx_host_take_response(PyBytes_AS_STRING(out), len)
                          : eryx_host_take_response(NULL, 0);
    if (got < 0) {
        Py_DECREF(out);
        PyErr_Format(PyExc_RuntimeError, "eryx.take_response failed (%d)", (int)got);
        return NULL;
    }
    if (got != len && _PyBytes_Resize(&out, got) < 0) {
        return NULL;
    }
    return out;
}

static PyObject *
eryx_invoke(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "invoke() takes exactly 2 arguments (%zd given)", nargs);
        return NULL;
    }
    int op = PyLong_AsInt(args[0]);
    if (op == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    if (view.len > INT32_MAX) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_OverflowError, "invoke() payload too large");
        return NULL;
    }
    int32_t rc = eryx_host_invoke((int32_t)op, view.buf, (int32_t)view.len);
    PyBuffer_Release(&view);

    if (rc >= 0) {
        return take_response_bytes(rc);
    }
    switch (rc) {
    case ERYX_ERR_TIMEOUT:
        PyErr_SetString(PyExc_TimeoutError, "eryx host operation timed out");
        return NULL;
    case ERYX_ERR_UNKNOWN_OP:
        PyErr_Format(PyExc_NotImplementedError, "eryx host does not implement operation %d", op);
        return NULL;
    case ERYX_ERR_ERROR: {
        /* The host's message is the pending response; its length is unknown, so read in chunks. */
        char buf[4096];
        int32_t got = eryx_host_take_response(buf, (int32_t)sizeof(buf));
        if (got < 0) {
            got = 0;
        }
        PyObject *msg = PyUnicode_DecodeUTF8(buf, got, "replace");
        if (msg == NULL) {
            return NULL;
        }
        PyErr_SetObject(PyExc_RuntimeError, msg);
        Py_DECREF(msg);
        return NULL;
    }
    default:
        PyErr_Format(PyExc_RuntimeError, "eryx host operation %d failed with status %d", op, (int)rc);
        return NULL;
    }
}

PyDoc_STRVAR(eryx_invoke_doc,
"invoke(op, data, /)\n--\n\n"
"Perform host operation op with the given bytes and return the host's response bytes.\n"
"Raises RuntimeError with the host's message on failure, TimeoutError on timeout and\n"
"NotImplementedError when the host does not know op.");

static PyMethodDef eryx_methods[] = {
    {"invoke", _PyCFunction_CAST(eryx_invoke), METH_FASTCALL, eryx_invoke_doc},
    {NULL, NULL, 0, NULL},
};

static int
eryx_exec(PyObject *module)
{
    if (PyModule_AddIntConstant(module, "ABI_VERSION", ERYX_ABI_VERSION) < 0) return -1;
    return 0;
}

static PyModuleDef_Slot eryx_slots[] = {
    {Py_mod_exec, eryx_exec},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
    {0, NULL},
};

static struct PyModuleDef eryx_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_eryx",
    .m_doc = "Guest side of the eryx host bridge (ABI version 1).",
    .m_size = 0,
    .m_methods = eryx_methods,
    .m_slots = eryx_slots,
};

PyMODINIT_FUNC
PyInit__eryx(void)
{
    return PyModuleDef_Init(&eryx_module);
}
