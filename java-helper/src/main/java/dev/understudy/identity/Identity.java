package dev.understudy.identity;

import java.util.Objects;

/** One generation of a host's keys: the age identity that opens bundles and the key that signs them. */
public record Identity(AgeIdentity age, SigningKey signing) {
    public Identity {
        Objects.requireNonNull(age, "age identity required");
        Objects.requireNonNull(signing, "signing key required");
    }

    public static Identity generate() {
        return new Identity(AgeIdentity.generate(), SigningKey.generate());
    }
}
