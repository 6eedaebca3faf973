/*
 * eryx: the SQLite amalgamation as compiled for python.wasm, with POSIX advisory locking.
 *
 * SQLite's WASI build defaults to the "unix-dotfile" VFS: every lock, SHARED included, is one
 * exclusive <db>.lock directory, so a second connection cannot read while another one writes
 * ("database is locked" where SQLite promises shared locks). The ordinary "unix" VFS keeps the
 * state of every lock per file (device and inode from fstat) inside the process and asks fcntl()
 * only so that *other processes* see the locks. wasi-libc has no F_GETLK/F_SETLK (it fails with
 * EINVAL), and one sandbox is one process: no other process can hold a POSIX lock on its files
 * that it could observe. So the lock commands are answered here as a lone process's kernel would
 * answer them (every lock is granted, no conflicting lock exists) and every other command goes to
 * wasi-libc's fcntl(). Sandboxes sharing a read-write host mount do not see each other's locks;
 * docs/security.md says what that means.
 *
 * Built by build.sh (stage libs) in place of sqlite3.c, with the same options.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

static int eryx_sqlite_fcntl(int fd, int cmd, ...);

#define SQLITE_DEFAULT_UNIX_VFS "unix"
#define fcntl eryx_sqlite_fcntl
#include "sqlite3.c"
#undef fcntl

static int eryx_sqlite_fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    if (cmd == F_GETLK || cmd == F_SETLK || cmd == F_SETLKW) {
        struct flock *lock = va_arg(ap, struct flock *);
        va_end(ap);
        if (lock == 0) {
            errno = EINVAL;
            return -1;
        }
        if (cmd == F_GETLK) {
            lock->l_type = F_UNLCK; /* nobody else holds a conflicting lock */
        }
        return 0;
    }
    if (cmd == F_GETFD || cmd == F_GETFL) {
        va_end(ap);
        return fcntl(fd, cmd);
    }
    int arg = va_arg(ap, int); /* F_SETFD, F_SETFL: one int */
    va_end(ap);
    return fcntl(fd, cmd, arg);
}
