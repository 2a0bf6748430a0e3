package dev.understudy.transfer;

import com.hierynomus.sshj.transport.cipher.BlockCiphers;
import com.hierynomus.sshj.transport.cipher.ChachaPolyCiphers;
import com.hierynomus.sshj.transport.cipher.GcmCiphers;
import com.hierynomus.sshj.transport.mac.Macs;
import net.schmizz.keepalive.KeepAliveProvider;
import net.schmizz.sshj.DefaultConfig;

/**
 * The SSH client's algorithms for pushes: only the ciphers and MACs OpenSSH offers by default (ChaCha20-Poly1305,
 * AES-GCM, AES-CTR with encrypt-then-MAC SHA-2). SSHJ's defaults also offer 3DES, Blowfish, CAST, IDEA, Serpent,
 * Twofish, RC4, CBC modes and MD5/SHA-1 MACs, and try each of them once per connection to see whether it works: a key
 * bundle has no reason to travel under any of those, and loading and testing them cost the agent memory and CPU on
 * every push. A new instance per connection: nothing is shared between connections.
 */
final class SshAlgorithms extends DefaultConfig {
    SshAlgorithms() {
        setKeepAliveProvider(KeepAliveProvider.KEEP_ALIVE);
    }

    @Override
    protected void initCipherFactories() {
        setCipherFactories(ChachaPolyCiphers.CHACHA_POLY_OPENSSH(), GcmCiphers.AES256GCM(), GcmCiphers.AES128GCM(),
                BlockCiphers.AES256CTR(), BlockCiphers.AES192CTR(), BlockCiphers.AES128CTR());
    }

    @Override
    protected void initMACFactories() {
        setMACFactories(Macs.HMACSHA2256Etm(), Macs.HMACSHA2512Etm(), Macs.HMACSHA2256(), Macs.HMACSHA2512());
    }
}
