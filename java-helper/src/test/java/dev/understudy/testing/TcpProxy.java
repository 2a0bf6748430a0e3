package dev.understudy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** A TCP relay that can cut every connection through it, as a network partition would. */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean blocked;

    public TcpProxy(String targetUrl) throws IOException {
        this.target = URI.create(targetUrl).getPort();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "proxy");
        t.setDaemon(true);
        t.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    public void block() {
        blocked = true;
        open.forEach(TcpProxy::quiet);
    }

    public void unblock() {
        blocked = false;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket c = server.accept();
                if (blocked) {
                    quiet(c);
                    continue;
                }
                Socket u = new Socket();
                u.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 1000);
                open.add(c);
                open.add(u);
                pump(c, u);
                pump(u, c);
            } catch (IOException e) {
                // refused or closed
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // ended
            } finally {
                quiet(from);
                quiet(to);
                open.remove(from);
                open.remove(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void quiet(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        block();
        server.close();
    }
}
