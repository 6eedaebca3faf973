package dev.eryx.internal.wasi;

import dev.eryx.internal.vfs.DirEntry;
import dev.eryx.internal.vfs.DirectoryNode;
import dev.eryx.internal.vfs.OpenFile;
import java.io.InputStream;
import java.util.List;

/**
 * What a file descriptor refers to: one of the five kinds below, no other (sealed, so a new kind is
 * a compile-time decision). Mutable per-fd state (position, flags) lives here.
 */
abstract sealed class Descriptor {
    long rightsBase;
    long rightsInheriting;
    int fdFlags;

    Descriptor(long rightsBase, long rightsInheriting, int fdFlags) {
        this.rightsBase = rightsBase;
        this.rightsInheriting = rightsInheriting;
        this.fdFlags = fdFlags;
    }

    abstract int fileType();

    boolean canRead() {
        return (rightsBase & Preview1.RIGHT_FD_READ) != 0;
    }

    boolean canWrite() {
        return (rightsBase & Preview1.RIGHT_FD_WRITE) != 0;
    }

    void close() {}

    /** fd 0. */
    static final class Stdin extends Descriptor {
        final InputStream in;

        Stdin(InputStream in) {
            super(Preview1.RIGHTS_STDIN, 0, 0);
            this.in = in;
        }

        @Override
        int fileType() {
            return Preview1.FILETYPE_UNKNOWN;
        }
    }

    /** fds 1 and 2. */
    static final class Output extends Descriptor {
        final OutputSink sink;

        Output(OutputSink sink) {
            super(Preview1.RIGHTS_STDOUT, 0, Preview1.FDFLAG_APPEND);
            this.sink = sink;
        }

        @Override
        int fileType() {
            return Preview1.FILETYPE_UNKNOWN;
        }
    }

    /** A directory; {@code chain} runs from the root to it so ".." works relative to it. */
    static final class Directory extends Descriptor {
        final DirectoryNode[] chain;

        /** Non-null for a preopen: the name {@code fd_prestat_dir_name} reports. */
        final String preopenName;

        /**
         * Listing taken when a readdir starts at cookie 0, so later cookies index a stable list.
         */
        List<DirEntry> listing;

        Directory(
                DirectoryNode[] chain, String preopenName, long rightsBase, long rightsInheriting) {
            super(rightsBase, rightsInheriting, 0);
            this.chain = chain;
            this.preopenName = preopenName;
        }

        DirectoryNode node() {
            return chain[chain.length - 1];
        }

        @Override
        int fileType() {
            return Preview1.FILETYPE_DIRECTORY;
        }
    }

    /** An open regular file with its own position. */
    static final class File extends Descriptor {
        final OpenFile file;

        /** Whether the underlying file was opened for writing (decided at open, like O_ACCMODE). */
        final boolean openedForWrite;

        long position;

        File(
                OpenFile file,
                boolean openedForWrite,
                long rightsBase,
                long rightsInheriting,
                int fdFlags) {
            super(rightsBase, rightsInheriting, fdFlags);
            this.file = file;
            this.openedForWrite = openedForWrite;
        }

        @Override
        boolean canWrite() {
            return openedForWrite && super.canWrite();
        }

        @Override
        int fileType() {
            return Preview1.FILETYPE_REGULAR_FILE;
        }

        @Override
        void close() {
            file.close();
        }
    }

    /** A stream socket, served by a {@link GuestSocket}. */
    static final class Socket extends Descriptor {
        final GuestSocket socket;

        Socket(GuestSocket socket) {
            super(Preview1.RIGHTS_SOCKET, 0, 0);
            this.socket = socket;
        }

        boolean nonBlocking() {
            return (fdFlags & Preview1.FDFLAG_NONBLOCK) != 0;
        }

        @Override
        int fileType() {
            return Preview1.FILETYPE_SOCKET_STREAM;
        }

        @Override
        void close() {
            socket.close();
        }
    }
}
