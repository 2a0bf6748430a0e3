package dev.understudy.common;

import dev.understudy.cli.BadInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** An SSLContext for mutual TLS from PEM files: a CA to trust, a client certificate and its PKCS#8 key. */
public final class PemTls {
    private PemTls() {
    }

    public static SSLContext context(Path caFile, Path certFile, Path keyFile) throws BadInputException, IOException {
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(cf, caFile)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            char[] pw = "unused".toCharArray();
            keys.setKeyEntry("client", privateKey(keyFile), pw, certificates(cf, certFile).toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, pw);
            SSLContext ctx = SSLContext.getInstance("TLSv1.3");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new BadInputException("TLS material " + caFile + ", " + certFile + ", " + keyFile + ": " + e.getMessage(), e);
        }
    }

    private static List<Certificate> certificates(CertificateFactory cf, Path file) throws IOException, BadInputException,
            GeneralSecurityException {
        Collection<? extends Certificate> cs = cf.generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)));
        if (cs.isEmpty()) {
            throw new BadInputException(file + ": no PEM certificate");
        }
        return new ArrayList<>(cs);
    }

    private static PrivateKey privateKey(Path file) throws IOException, BadInputException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf("-----END PRIVATE KEY-----");
        if (b < 0 || e < b) {
            throw new BadInputException(file + ": expected a PKCS#8 'BEGIN PRIVATE KEY' PEM (EC or RSA)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
        for (String alg : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new BadInputException(file + ": not an EC, RSA or Ed25519 PKCS#8 private key");
    }
}
