-- Sessions ended by sign-out before their token expires: the token's SHA-256 until its own
-- expiry, after which the token is refused anyway and the row may go.
CREATE TABLE revoked_session (
    token_sha256 bytea PRIMARY KEY,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX revoked_session_expiry_idx ON revoked_session (expires_at);
