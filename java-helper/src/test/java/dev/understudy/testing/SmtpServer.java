package dev.understudy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP server speaking the subset a notifier uses (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT),
 * recording each message with the login it came with.
 */
public final class SmtpServer implements AutoCloseable {
    /** A received message. */
    public record Mail(String authenticatedAs, boolean overTls, String from, List<String> to, String data) {
    }

    private final ServerSocket server;
    private final SSLContext tls;
    private final String user;
    private final String password;
    public final List<Mail> mails = Collections.synchronizedList(new ArrayList<>());

    public SmtpServer(SSLContext tls, String user, String password) throws IOException {
        this.tls = tls;
        this.user = user;
        this.password = password;
        this.server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::serve, "smtp");
        t.setDaemon(true);
        t.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                session(s);
            } catch (IOException e) {
                // next client
            }
        }
    }

    private void session(Socket socket) throws IOException {
        Socket s = socket;
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream();
        send(out, "220 test ESMTP");
        String auth = null;
        boolean secure = false;
        String from = null;
        List<String> to = new ArrayList<>();
        String line;
        while ((line = in.readLine()) != null) {
            String up = line.toUpperCase();
            if (up.startsWith("EHLO")) {
                send(out, "250-test\r\n" + (tls != null && !secure ? "250-STARTTLS\r\n" : "") + "250 AUTH PLAIN");
            } else if (up.equals("STARTTLS") && tls != null) {
                send(out, "220 go ahead");
                SSLSocket t = (SSLSocket) tls.getSocketFactory().createSocket(s, "localhost", s.getPort(), true);
                t.setUseClientMode(false);
                t.startHandshake();
                s = t;
                in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                out = s.getOutputStream();
                secure = true;
            } else if (up.startsWith("AUTH PLAIN ")) {
                String[] p = new String(Base64.getDecoder().decode(line.substring(11)), StandardCharsets.UTF_8).split("\0");
                if (p.length == 3 && p[1].equals(user) && p[2].equals(password)) {
                    auth = p[1];
                    send(out, "235 ok");
                } else {
                    send(out, "535 bad credentials");
                }
            } else if (up.startsWith("MAIL FROM:")) {
                if (user != null && auth == null) {
                    send(out, "530 authentication required");
                    continue;
                }
                from = line.substring(10).replaceAll("[<>]", "");
                send(out, "250 ok");
            } else if (up.startsWith("RCPT TO:")) {
                to.add(line.substring(8).replaceAll("[<>]", ""));
                send(out, "250 ok");
            } else if (up.equals("DATA")) {
                send(out, "354 go");
                StringBuilder data = new StringBuilder();
                String d;
                while ((d = in.readLine()) != null && !d.equals(".")) {
                    data.append(d.startsWith("..") ? d.substring(1) : d).append("\n");
                }
                mails.add(new Mail(auth, secure, from, List.copyOf(to), data.toString()));
                send(out, "250 queued");
            } else if (up.equals("QUIT")) {
                send(out, "221 bye");
                return;
            } else {
                send(out, "502 not implemented");
            }
        }
    }

    private static void send(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
