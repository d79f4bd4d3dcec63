-- eSignet OIDC clients (issue 4; PMS pms.oidc_client, mosip-pms.md §2.1, §6.6). The row is
-- written, PENDING, in the same transaction as the run that creates the client in eSignet, so
-- eSignet never holds a client pmsflow has no record of; the run's last local step makes it
-- ACTIVE. Lists are arrays of the values PMS's ","-join/split round trip gives.
CREATE TABLE oidc_client (
    id             text PRIMARY KEY,                      -- clientId = base64url(SHA-256(JWK))
    name           text NOT NULL,
    rp_id          text NOT NULL REFERENCES partner (id), -- the Auth_Partner (relyingPartyId)
    policy_id      text NOT NULL,
    logo_uri       text NOT NULL,
    redirect_uris  text[] NOT NULL,
    claims         text[] NOT NULL,
    acr_values     text[] NOT NULL,
    public_key     text NOT NULL UNIQUE,                  -- the canonical JWK JSON
    grant_types    text[] NOT NULL,
    auth_methods   text[] NOT NULL,
    status         text NOT NULL CHECK (status IN ('PENDING', 'ACTIVE', 'INACTIVE')),
    run_id         uuid NOT NULL,                         -- the run that created or last updated it
    cr_by          text NOT NULL,
    cr_dtimes      timestamptz NOT NULL DEFAULT now(),
    upd_by         text,
    upd_dtimes     timestamptz
);
CREATE INDEX oidc_client_partner ON oidc_client (rp_id);
