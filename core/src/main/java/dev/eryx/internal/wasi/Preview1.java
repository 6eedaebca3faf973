package dev.eryx.internal.wasi;

/** Wire constants of wasi_snapshot_preview1 (witx), in one place. */
final class Preview1 {
    private Preview1() {}

    static final String MODULE = "wasi_snapshot_preview1";

    // filetype
    static final int FILETYPE_UNKNOWN = 0;
    static final int FILETYPE_CHARACTER_DEVICE = 2;
    static final int FILETYPE_DIRECTORY = 3;
    static final int FILETYPE_REGULAR_FILE = 4;
    static final int FILETYPE_SOCKET_STREAM = 6;
    static final int FILETYPE_SYMBOLIC_LINK = 7;

    // rights
    static final long RIGHT_FD_DATASYNC = 1L << 0;
    static final long RIGHT_FD_READ = 1L << 1;
    static final long RIGHT_FD_SEEK = 1L << 2;
    static final long RIGHT_FD_FDSTAT_SET_FLAGS = 1L << 3;
    static final long RIGHT_FD_SYNC = 1L << 4;
    static final long RIGHT_FD_TELL = 1L << 5;
    static final long RIGHT_FD_WRITE = 1L << 6;
    static final long RIGHT_FD_ADVISE = 1L << 7;
    static final long RIGHT_FD_ALLOCATE = 1L << 8;
    static final long RIGHT_PATH_CREATE_DIRECTORY = 1L << 9;
    static final long RIGHT_PATH_CREATE_FILE = 1L << 10;
    static final long RIGHT_PATH_LINK_SOURCE = 1L << 11;
    static final long RIGHT_PATH_LINK_TARGET = 1L << 12;
    static final long RIGHT_PATH_OPEN = 1L << 13;
    static final long RIGHT_FD_READDIR = 1L << 14;
    static final long RIGHT_PATH_READLINK = 1L << 15;
    static final long RIGHT_PATH_RENAME_SOURCE = 1L << 16;
    static final long RIGHT_PATH_RENAME_TARGET = 1L << 17;
    static final long RIGHT_PATH_FILESTAT_GET = 1L << 18;
    static final long RIGHT_PATH_FILESTAT_SET_SIZE = 1L << 19;
    static final long RIGHT_PATH_FILESTAT_SET_TIMES = 1L << 20;
    static final long RIGHT_FD_FILESTAT_GET = 1L << 21;
    static final long RIGHT_FD_FILESTAT_SET_SIZE = 1L << 22;
    static final long RIGHT_FD_FILESTAT_SET_TIMES = 1L << 23;
    static final long RIGHT_PATH_SYMLINK = 1L << 24;
    static final long RIGHT_PATH_REMOVE_DIRECTORY = 1L << 25;
    static final long RIGHT_PATH_UNLINK_FILE = 1L << 26;
    static final long RIGHT_POLL_FD_READWRITE = 1L << 27;
    static final long RIGHT_SOCK_SHUTDOWN = 1L << 28;
    static final long RIGHT_SOCK_ACCEPT = 1L << 29;
    static final long RIGHTS_ALL = (1L << 30) - 1;

    static final long RIGHTS_REGULAR_FILE =
            RIGHT_FD_DATASYNC
                    | RIGHT_FD_READ
                    | RIGHT_FD_SEEK
                    | RIGHT_FD_FDSTAT_SET_FLAGS
                    | RIGHT_FD_SYNC
                    | RIGHT_FD_TELL
                    | RIGHT_FD_WRITE
                    | RIGHT_FD_ADVISE
                    | RIGHT_FD_ALLOCATE
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_FD_FILESTAT_SET_SIZE
                    | RIGHT_FD_FILESTAT_SET_TIMES
                    | RIGHT_POLL_FD_READWRITE;

    static final long RIGHTS_DIRECTORY =
            RIGHT_FD_FDSTAT_SET_FLAGS
                    | RIGHT_FD_SYNC
                    | RIGHT_FD_ADVISE
                    | RIGHT_PATH_CREATE_DIRECTORY
                    | RIGHT_PATH_CREATE_FILE
                    | RIGHT_PATH_LINK_SOURCE
                    | RIGHT_PATH_LINK_TARGET
                    | RIGHT_PATH_OPEN
                    | RIGHT_FD_READDIR
                    | RIGHT_PATH_READLINK
                    | RIGHT_PATH_RENAME_SOURCE
                    | RIGHT_PATH_RENAME_TARGET
                    | RIGHT_PATH_FILESTAT_GET
                    | RIGHT_PATH_FILESTAT_SET_SIZE
                    | RIGHT_PATH_FILESTAT_SET_TIMES
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_FD_FILESTAT_SET_TIMES
                    | RIGHT_PATH_SYMLINK
                    | RIGHT_PATH_REMOVE_DIRECTORY
                    | RIGHT_PATH_UNLINK_FILE
                    | RIGHT_POLL_FD_READWRITE;

    /** Stdio are streams: no seek or tell rights. */
    static final long RIGHTS_STDIN =
            RIGHT_FD_READ
                    | RIGHT_FD_FDSTAT_SET_FLAGS
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_POLL_FD_READWRITE;

    static final long RIGHTS_STDOUT =
            RIGHT_FD_WRITE
                    | RIGHT_FD_FDSTAT_SET_FLAGS
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_POLL_FD_READWRITE;

    // fdflags
    static final int FDFLAG_APPEND = 1;
    static final int FDFLAG_NONBLOCK = 4;
    static final int RIFLAG_RECV_PEEK = 1;
    static final int RIFLAG_RECV_WAITALL = 2;
    static final int SDFLAG_RD = 1;
    static final int SDFLAG_WR = 2;
    static final int EVENTRWFLAG_HANGUP = 1;

    static final long RIGHTS_SOCKET =
            RIGHT_FD_READ
                    | RIGHT_FD_WRITE
                    | RIGHT_FD_FDSTAT_SET_FLAGS
                    | RIGHT_FD_FILESTAT_GET
                    | RIGHT_POLL_FD_READWRITE
                    | RIGHT_SOCK_SHUTDOWN;
    static final int FDFLAGS_ALL = 0x1f;

    // oflags
    static final int OFLAG_CREAT = 1;
    static final int OFLAG_DIRECTORY = 2;
    static final int OFLAG_EXCL = 4;
    static final int OFLAG_TRUNC = 8;
    static final int OFLAGS_ALL = 0xf;

    // lookupflags
    static final int LOOKUP_SYMLINK_FOLLOW = 1;

    // whence
    static final int WHENCE_SET = 0;
    static final int WHENCE_CUR = 1;
    static final int WHENCE_END = 2;

    // fstflags
    static final int FST_ATIM = 1;
    static final int FST_ATIM_NOW = 2;
    static final int FST_MTIM = 4;
    static final int FST_MTIM_NOW = 8;

    // clockid
    static final int CLOCK_REALTIME = 0;
    static final int CLOCK_MONOTONIC = 1;
    static final int CLOCK_PROCESS_CPUTIME = 2;
    static final int CLOCK_THREAD_CPUTIME = 3;

    // eventtype / subclockflags
    static final int EVENTTYPE_CLOCK = 0;
    static final int EVENTTYPE_FD_READ = 1;
    static final int EVENTTYPE_FD_WRITE = 2;
    static final int SUBCLOCK_ABSTIME = 1;

    // struct sizes
    static final int IOVEC_SIZE = 8;
    static final int FDSTAT_SIZE = 24;
    static final int FILESTAT_SIZE = 64;
    static final int DIRENT_HEADER_SIZE = 24;
    static final int PRESTAT_SIZE = 8;
    static final int SUBSCRIPTION_SIZE = 48;
    static final int EVENT_SIZE = 32;
}
