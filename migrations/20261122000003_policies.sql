-- Policy and partner management (mosip-pms.md §2.1, §8, §9), column names from MOSIP's DDL
-- (db_scripts/mosip_pms/ddl/pms-*.sql). Ids are strong random values, never nextInt(100_000)
-- (mosip-pms.md §13 item 3).

ALTER TABLE policy_group ADD COLUMN IF NOT EXISTS is_deleted boolean NOT NULL DEFAULT false;

-- A policy of one of the four types. Status is derived as PMS does, plus the deactivation of
-- a published policy that later PMS releases allow:
--   policy_schema IS NULL            -> DRAFTED
--   policy_schema set, is_active     -> PUBLISHED
--   policy_schema set, not is_active -> DEACTIVATED
CREATE TABLE auth_policy (
    id               text PRIMARY KEY,
    policy_group_id  text NOT NULL REFERENCES policy_group (id),
    name             text NOT NULL,
    descr            text NOT NULL,
    policy_file_id   jsonb NOT NULL,              -- the policy document itself
    policy_type      text NOT NULL,
    version          text NOT NULL,
    policy_schema    text,
    valid_from_date  timestamptz NOT NULL DEFAULT now(),
    valid_to_date    timestamptz NOT NULL,
    is_active        boolean NOT NULL DEFAULT false,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz,
    UNIQUE (policy_group_id, name)
);

CREATE TABLE partner_contact (
    id          text PRIMARY KEY,
    partner_id  text NOT NULL REFERENCES partner (id),
    contact_no  text,
    email_id    text NOT NULL,
    address     text,
    is_active   boolean NOT NULL,
    cr_by       text NOT NULL,
    cr_dtimes   timestamptz NOT NULL DEFAULT now(),
    upd_by      text,
    upd_dtimes  timestamptz,
    UNIQUE (partner_id, email_id)
);

-- A partner's request to use a policy: InProgress -> approved | rejected.
CREATE TABLE partner_policy_request (
    id                 text PRIMARY KEY,
    part_id            text NOT NULL REFERENCES partner (id),
    policy_id          text NOT NULL REFERENCES auth_policy (id),
    request_datetimes  timestamptz NOT NULL DEFAULT now(),
    request_detail     text NOT NULL,
    status_code        text NOT NULL CHECK (status_code IN ('InProgress', 'approved', 'rejected')),
    cr_by              text NOT NULL,
    cr_dtimes          timestamptz NOT NULL DEFAULT now(),
    upd_by             text,
    upd_dtimes         timestamptz
);
CREATE INDEX partner_policy_request_partner ON partner_policy_request (part_id, policy_id);

-- The API keys.
CREATE TABLE partner_policy (
    policy_api_key       text PRIMARY KEY,
    part_id              text NOT NULL REFERENCES partner (id),
    policy_id            text NOT NULL REFERENCES auth_policy (id),
    label                text NOT NULL,
    valid_from_datetime  timestamptz NOT NULL DEFAULT now(),
    valid_to_datetime    timestamptz NOT NULL,
    is_active            boolean NOT NULL,
    cr_by                text NOT NULL,
    cr_dtimes            timestamptz NOT NULL DEFAULT now(),
    upd_by               text,
    upd_dtimes           timestamptz,
    UNIQUE (part_id, policy_id, label)
);
CREATE INDEX partner_policy_expiry ON partner_policy (valid_to_datetime) WHERE is_active;

CREATE TABLE partner_policy_bioextract (
    id                          text PRIMARY KEY,
    part_id                     text NOT NULL REFERENCES partner (id),
    policy_id                   text NOT NULL REFERENCES auth_policy (id),
    attribute_name              text NOT NULL,
    extractor_provider          text NOT NULL,
    extractor_provider_version  text,
    biometric_modality          text NOT NULL,
    biometric_sub_types         text,
    cr_by                       text NOT NULL,
    cr_dtimes                   timestamptz NOT NULL DEFAULT now(),
    upd_by                      text,
    upd_dtimes                  timestamptz,
    UNIQUE (part_id, policy_id, attribute_name)
);

CREATE TABLE partner_policy_credential_type (
    part_id          text NOT NULL REFERENCES partner (id),
    policy_id        text NOT NULL REFERENCES auth_policy (id),
    credential_type  text NOT NULL,
    is_active        boolean NOT NULL,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz,
    PRIMARY KEY (part_id, policy_id, credential_type)
);

-- MISP licence keys (mosip-pms.md §9). The key is the primary key with the MISP id, as in
-- MOSIP's DDL (not JPA's misp_id-only mapping, which made a second licence overwrite the first).
CREATE TABLE misp_license (
    misp_id          text NOT NULL REFERENCES partner (id),
    license_key      text NOT NULL,
    policy_id        text REFERENCES auth_policy (id),
    valid_from_date  timestamptz NOT NULL DEFAULT now(),
    valid_to_date    timestamptz NOT NULL,
    is_active        boolean NOT NULL,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz,
    PRIMARY KEY (misp_id, license_key)
);
CREATE UNIQUE INDEX misp_license_key ON misp_license (license_key);
CREATE INDEX misp_license_expiry ON misp_license (valid_to_date) WHERE is_active;

-- Ordered runs: runs sharing an ordering key (e.g. `partner:<id>`) start one at a time in the
-- order they were committed (the creating transaction holds an advisory lock on the key while
-- it takes the next sequence value). A waiting run is `running` with its first step `pending`.
CREATE SEQUENCE workflow_run_ordering_seq;
ALTER TABLE workflow_run
    ADD COLUMN ordering_key text,
    ADD COLUMN ordering_seq bigint;
CREATE INDEX workflow_run_ordering ON workflow_run (ordering_key, ordering_seq)
    WHERE status = 'running' AND ordering_key IS NOT NULL;
