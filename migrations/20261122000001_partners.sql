-- PMS domain tables (subset of mosip_pms.pms, mosip-pms.md §2) that onboarding needs.
-- Column names follow MOSIP's DDL (db_scripts/mosip_pms/ddl/pms-*.sql) where they exist.

CREATE TABLE partner_type (
    code                text PRIMARY KEY,
    partner_description text NOT NULL,
    is_policy_required  boolean NOT NULL,
    is_active           boolean NOT NULL DEFAULT true,
    cr_by               text NOT NULL DEFAULT 'pmsflow',
    cr_dtimes           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE policy_group (
    id          text PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    descr       text NOT NULL,
    user_id     text NOT NULL,
    is_active   boolean NOT NULL DEFAULT true,
    cr_by       text NOT NULL DEFAULT 'pmsflow',
    cr_dtimes   timestamptz NOT NULL DEFAULT now(),
    upd_by      text,
    upd_dtimes  timestamptz
);

CREATE TABLE partner (
    id                text PRIMARY KEY,
    policy_group_id   text REFERENCES policy_group (id),
    name              text NOT NULL,
    address           text NOT NULL,
    contact_no        text NOT NULL,
    email_id          text NOT NULL UNIQUE,
    certificate_alias text,
    user_id           text NOT NULL,
    partner_type_code text NOT NULL REFERENCES partner_type (code),
    approval_status   text NOT NULL,
    is_active         boolean NOT NULL DEFAULT false,
    lang_code         text NOT NULL DEFAULT 'eng',
    logo_url          text,
    additional_info   jsonb,
    cr_by             text NOT NULL,
    cr_dtimes         timestamptz NOT NULL DEFAULT now(),
    upd_by            text,
    upd_dtimes        timestamptz
);

-- Every certificate a partner had: the one it uploaded and the one MOSIP re-signed.
CREATE TABLE partner_certificate (
    id                    uuid PRIMARY KEY,
    partner_id            text NOT NULL REFERENCES partner (id),
    certificate_id        text NOT NULL,          -- keymanager certId (partner.certificate_alias)
    partner_domain        text NOT NULL,
    original_pem          text NOT NULL,
    original_thumbprint   text NOT NULL,
    original_issuer       text NOT NULL,
    original_not_after    timestamptz NOT NULL,
    signed_pem            text NOT NULL,
    signed_not_after      timestamptz NOT NULL,
    uploaded_at           timestamptz NOT NULL DEFAULT now(),
    run_id                uuid NOT NULL,
    UNIQUE (run_id)
);
CREATE INDEX partner_certificate_partner ON partner_certificate (partner_id, uploaded_at DESC);

-- MOSIP's partner types (db_scripts/mosip_pms/dml/pms-partner_type.csv + 1.2.0.1 upgrade), mosip-pms.md §7.
INSERT INTO partner_type (code, partner_description, is_policy_required) VALUES
    ('Auth_Partner', 'Auth Partner', true),
    ('Online_Verification_Partner', 'Online Verification Partner', true),
    ('Credential_Partner', 'Credential Partner', true),
    ('ABIS_Partner', 'ABIS Partner', true),
    ('Manual_Adjudication', 'Manual Adjudication', true),
    ('Print_Partner', 'Print Partner', true),
    ('Internal_Partner', 'Internal Partner', true),
    ('MISP_Partner', 'MISP Partner', false),
    ('Device_Provider', 'Device Provider', false),
    ('FTM_Provider', 'FTM Provider', false),
    ('SDK_Partner', 'SDK Partner', false),
    ('Partner_Admin', 'Partner Admin', false);

-- MOSIP's default policy groups (pms-policy_group.csv), mosip-pms.md §2.3.
INSERT INTO policy_group (id, name, descr, user_id) VALUES
    ('mpolicygroup-default-auth', 'mpolicygroup-default-auth', 'Default policy group for auth partners', 'admin'),
    ('mpolicygroup-default-abis', 'mpolicygroup-default-abis', 'Default policy group for ABIS partners', 'admin'),
    ('mpolicygroup-default-print', 'mpolicygroup-default-print', 'Default policy group for print partners', 'admin'),
    ('mpolicygroup-default-resident', 'mpolicygroup-default-resident', 'Default policy group for the resident service', 'admin'),
    ('mpolicygroup-default-digitalcard', 'mpolicygroup-default-digitalcard', 'Default policy group for digital cards', 'admin'),
    ('mpolicygroup-default-mobile', 'mpolicygroup-default-mobile', 'Default policy group for mobile credentials', 'admin'),
    ('mpolicygroup-default-adjudication', 'mpolicygroup-default-adjudication', 'Default policy group for manual adjudication', 'admin'),
    ('mpolicygroup-default-cert', 'mpolicygroup-default-cert', 'Default policy group for certificate datashare', 'admin');
