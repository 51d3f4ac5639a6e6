package dev.jobs.http;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link JobsHttpApi} accepts JSON Web Tokens from an identity provider (Keycloak, Auth0, Entra
 * ID, Okta), beside its static tokens: whose keys sign them, which issuer and audience they must
 * name, and which claim carries their roles.
 *
 * <pre>{@code
 * JobsHttpApi.builder()
 *     .engine(engine)
 *     .jwt(JwtSettings.builder()
 *         .jwksUrl(URI.create("https://id.example.com/realms/ops/protocol/openid-connect/certs"))
 *         .issuer("https://id.example.com/realms/ops")
 *         .audience("jobs")
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>Tokens signed with RS256, ES256 or EdDSA are checked against the provider's key set (fetched
 * at start, cached, fetched again when a token names a key id it does not hold, at most once per
 * {@link Builder#refetchInterval}) or against fixed keys; HS256 tokens only against a shared secret,
 * and only when one is set. Every token must name the issuer and the audience, carry a subject and
 * an expiry, and be valid now, give or take {@link Builder#clockSkew}. Its roles claim names {@code
 * admin}, {@code worker} or {@code read} (a JSON array, or a space-separated string as {@code scope}
 * is); the strongest named is the token's role. Its subject is the caller: what a worker id is bound
 * to. Immutable.
 */
public final class JwtSettings {
    /** Default for {@link Builder#rolesClaim}. */
    public static final String DEFAULT_ROLES_CLAIM = "roles";

    /** Default for {@link Builder#clockSkew}. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(60);

    /** Default for {@link Builder#refetchInterval}. */
    public static final Duration DEFAULT_REFETCH_INTERVAL = Duration.ofSeconds(30);

    private final Optional<URI> jwksUrl;
    private final Optional<String> keys;
    private final Optional<byte[]> hmacSecret;
    private final String issuer;
    private final String audience;
    private final String rolesClaim;
    private final Duration clockSkew;
    private final Duration refetchInterval;

    private JwtSettings(Builder builder) {
        this.jwksUrl = Optional.ofNullable(builder.jwksUrl);
        this.keys = Optional.ofNullable(builder.keys);
        this.hmacSecret = Optional.ofNullable(builder.hmacSecret).map(byte[]::clone);
        this.issuer = builder.issuer;
        this.audience = builder.audience;
        this.rolesClaim = builder.rolesClaim;
        this.clockSkew = builder.clockSkew;
        this.refetchInterval = builder.refetchInterval;
    }

    public static Builder builder() {
        return new Builder();
    }

    Optional<URI> jwksUrl() {
        return jwksUrl;
    }

    Optional<String> keys() {
        return keys;
    }

    Optional<byte[]> hmacSecret() {
        return hmacSecret.map(byte[]::clone);
    }

    String issuer() {
        return issuer;
    }

    String audience() {
        return audience;
    }

    String rolesClaim() {
        return rolesClaim;
    }

    Duration clockSkew() {
        return clockSkew;
    }

    Duration refetchInterval() {
        return refetchInterval;
    }

    /** Configures the settings; {@link #build()} checks them. Not thread-safe. */
    public static final class Builder {
        private URI jwksUrl;
        private String keys;
        private byte[] hmacSecret;
        private String issuer;
        private String audience;
        private String rolesClaim = DEFAULT_ROLES_CLAIM;
        private Duration clockSkew = DEFAULT_CLOCK_SKEW;
        private Duration refetchInterval = DEFAULT_REFETCH_INTERVAL;

        private Builder() {}

        /** The identity provider's JSON Web Key Set, such as its {@code jwks_uri}. */
        public Builder jwksUrl(URI value) {
            jwksUrl = Objects.requireNonNull(value, "jwksUrl");
            return this;
        }

        /** Fixed public keys, as a JSON Web Key Set document, instead of a URL. */
        public Builder keys(String jwkSetJson) {
            keys = Objects.requireNonNull(jwkSetJson, "keys");
            return this;
        }

        /** A shared secret of at least 32 bytes; only then are HS256 tokens accepted. */
        public Builder hmacSecret(byte[] secret) {
            Objects.requireNonNull(secret, "hmacSecret");
            if (secret.length < 32) {
                throw new IllegalArgumentException("an HS256 secret must be at least 32 bytes, was " + secret.length);
            }
            hmacSecret = secret.clone();
            return this;
        }

        /** The {@code iss} every token must carry. Required. */
        public Builder issuer(String value) {
            issuer = requireText("issuer", value);
            return this;
        }

        /** An {@code aud} every token must include. Required. */
        public Builder audience(String value) {
            audience = requireText("audience", value);
            return this;
        }

        /** The claim naming the token's roles, such as {@code roles} or {@code scope}. */
        public Builder rolesClaim(String value) {
            rolesClaim = requireText("rolesClaim", value);
            return this;
        }

        /** How far the token's times may be off this server's clock. At most 5 minutes. */
        public Builder clockSkew(Duration value) {
            if (value.isNegative() || value.compareTo(Duration.ofMinutes(5)) > 0) {
                throw new IllegalArgumentException("clockSkew must be 0 to 5 minutes, was " + value);
            }
            clockSkew = value;
            return this;
        }

        /**
         * The least time between two fetches of the key set, however many tokens name key ids it
         * does not hold: what keeps a flood of made-up key ids from hammering the provider.
         */
        public Builder refetchInterval(Duration value) {
            if (value.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("refetchInterval must be at least 1 s, was " + value);
            }
            refetchInterval = value;
            return this;
        }

        /**
         * @throws IllegalStateException when no keys are set (a URL, fixed keys or a secret), or the
         *     issuer or audience is missing
         */
        public JwtSettings build() {
            if (jwksUrl == null && keys == null && hmacSecret == null) {
                throw new IllegalStateException("set jwksUrl(...), keys(...) or hmacSecret(...): tokens need a key");
            }
            if (jwksUrl != null && keys != null) {
                throw new IllegalStateException("set jwksUrl(...) or keys(...), not both");
            }
            if (issuer == null || audience == null) {
                throw new IllegalStateException("issuer(...) and audience(...) are required");
            }
            return new JwtSettings(this);
        }

        private static String requireText(String name, String value) {
            Objects.requireNonNull(value, name);
            if (value.isBlank()) {
                throw new IllegalArgumentException(name + " must not be blank");
            }
            return value;
        }
    }
}
