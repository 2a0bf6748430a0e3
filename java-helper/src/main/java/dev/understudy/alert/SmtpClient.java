package dev.understudy.alert;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The SMTP a notifier needs (RFC 5321): EHLO, STARTTLS or implicit TLS with the server's name checked, AUTH
 * PLAIN only over TLS, one message with a base64 UTF-8 body. Bounded by a timeout on every read.
 */
public final class SmtpClient {
    /** How the connection is protected. */
    public enum Tls { NONE, STARTTLS, IMPLICIT }

    private final String host;
    private final int port;
    private final Tls tls;
    private final String user;
    private final String password;
    private final Duration timeout;
    private final SSLSocketFactory tlsFactory;

    public SmtpClient(String host, int port, Tls tls, String user, String password, Duration timeout, SSLSocketFactory tlsFactory) {
        if (user != null && tls == Tls.NONE) {
            throw new IllegalArgumentException("an SMTP password is only sent over TLS: use starttls or implicit");
        }
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.user = user;
        this.password = password;
        this.timeout = timeout;
        this.tlsFactory = tlsFactory;
    }

    private static final class Conn {
        Socket socket;
        BufferedReader in;
        OutputStream out;

        void attach(Socket s) throws IOException {
            socket = s;
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out = s.getOutputStream();
        }

        List<String> reply(int expected) throws IOException {
            List<String> lines = new ArrayList<>();
            String line;
            do {
                line = in.readLine();
                if (line == null) {
                    throw new IOException("SMTP server closed the connection");
                }
                lines.add(line);
            } while (line.length() > 3 && line.charAt(3) == '-');
            int code;
            try {
                code = Integer.parseInt(line.substring(0, 3));
            } catch (RuntimeException e) {
                throw new IOException("SMTP server answered something else: " + line);
            }
            if (code / 100 != expected / 100) {
                throw new IOException("SMTP server answered " + line + " (expected " + expected + ")");
            }
            return lines;
        }

        List<String> cmd(String command, int expected) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply(expected);
        }
    }

    private SSLSocket wrap(Socket plain) throws IOException {
        SSLSocket s = (SSLSocket) tlsFactory.createSocket(plain, host, port, true);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    public void send(String from, List<String> to, String subject, String body) throws IOException {
        Conn c = new Conn();
        Socket plain = new Socket();
        try {
            plain.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            plain.setSoTimeout((int) timeout.toMillis());
            c.attach(tls == Tls.IMPLICIT ? wrap(plain) : plain);
            c.reply(220);
            List<String> ehlo = c.cmd("EHLO understudy", 250);
            if (tls == Tls.STARTTLS) {
                if (ehlo.stream().noneMatch(l -> l.substring(4).trim().toUpperCase().startsWith("STARTTLS"))) {
                    throw new IOException("SMTP server " + host + " does not offer STARTTLS");
                }
                c.cmd("STARTTLS", 220);
                c.attach(wrap(c.socket));
                c.cmd("EHLO understudy", 250);
            }
            if (user != null) {
                String token = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
                c.cmd("AUTH PLAIN " + token, 235);
            }
            c.cmd("MAIL FROM:<" + from + ">", 250);
            for (String r : to) {
                c.cmd("RCPT TO:<" + r + ">", 250);
            }
            c.cmd("DATA", 354);
            c.out.write(message(from, to, subject, body).getBytes(StandardCharsets.UTF_8));
            c.out.flush();
            c.reply(250);
            try {
                c.cmd("QUIT", 221);
            } catch (IOException e) {
                // the message is accepted; a server that drops the line on QUIT does no harm
            }
        } finally {
            (c.socket == null ? plain : c.socket).close();
        }
    }

    static String message(String from, List<String> to, String subject, String body) {
        String enc = Base64.getMimeEncoder(76, new byte[] {'\r', '\n'}).encodeToString(body.getBytes(StandardCharsets.UTF_8));
        String subj = subject.chars().allMatch(ch -> ch >= 32 && ch < 127) ? subject
                : "=?UTF-8?B?" + Base64.getEncoder().encodeToString(subject.getBytes(StandardCharsets.UTF_8)) + "?=";
        return "From: " + from + "\r\n"
                + "To: " + String.join(", ", to) + "\r\n"
                + "Subject: " + subj + "\r\n"
                + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now()) + "\r\n"
                + "Message-ID: <" + UUID.randomUUID() + "@understudy>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=UTF-8\r\n"
                + "Content-Transfer-Encoding: base64\r\n"
                + "\r\n"
                + enc + "\r\n.\r\n";
    }
}
