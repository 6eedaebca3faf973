package dev.eryx.network;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A plain TCP server on 127.0.0.1 (port 0) that runs {@code handler} for every connection. */
final class TcpServer implements AutoCloseable {
    interface Handler {
        void handle(Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new ArrayList<>();

    TcpServer(Handler handler) {
        try {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        acceptor =
                new Thread(
                        () -> {
                            while (!server.isClosed()) {
                                Socket socket;
                                try {
                                    socket = server.accept();
                                } catch (IOException e) {
                                    return;
                                }
                                accepted.incrementAndGet();
                                synchronized (sockets) {
                                    sockets.add(socket);
                                }
                                Thread worker =
                                        new Thread(
                                                () -> {
                                                    try (socket) {
                                                        handler.handle(socket);
                                                    } catch (Exception e) {
                                                        // the guest went away: fine
                                                    }
                                                });
                                worker.setDaemon(true);
                                worker.start();
                            }
                        },
                        "test-tcp-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int accepted() {
        return accepted.get();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    /** Echoes every byte back until the client closes. */
    static void echo(Socket socket) throws IOException {
        byte[] buffer = new byte[8192];
        int n;
        while ((n = socket.getInputStream().read(buffer)) > 0) {
            socket.getOutputStream().write(buffer, 0, n);
            socket.getOutputStream().flush();
        }
    }
}
