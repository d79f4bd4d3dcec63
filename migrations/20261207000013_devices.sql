-- Device providers' registered devices and their secure biometric interfaces (SBI), as PMS
-- 1.2.0.1 keeps them (db_scripts/mosip_pms/ddl: reg_device_type, reg_device_sub_type,
-- device_detail, secure_biometric_interface, device_detail_sbi), for DeviceDetailController
-- and SecureBiometricInterfaceController. Approval status: pending_approval, approved,
-- rejected (MOSIP's DML also has Activated).
CREATE TABLE reg_device_type (
    code       text PRIMARY KEY,
    name       text NOT NULL,
    descr      text,
    is_active  boolean NOT NULL DEFAULT true,
    cr_by      text NOT NULL DEFAULT 'pmsflow',
    cr_dtimes  timestamptz NOT NULL DEFAULT now(),
    upd_by     text,
    upd_dtimes timestamptz
);

CREATE TABLE reg_device_sub_type (
    code       text NOT NULL,
    dtyp_code  text NOT NULL REFERENCES reg_device_type (code),
    name       text NOT NULL,
    descr      text,
    is_active  boolean NOT NULL DEFAULT true,
    cr_by      text NOT NULL DEFAULT 'pmsflow',
    cr_dtimes  timestamptz NOT NULL DEFAULT now(),
    upd_by     text,
    upd_dtimes timestamptz,
    PRIMARY KEY (code, dtyp_code)
);

CREATE TABLE device_detail (
    id               text PRIMARY KEY,
    dprovider_id     text NOT NULL,
    dtype_code       text NOT NULL,
    dstype_code      text NOT NULL,
    make             text NOT NULL,
    model            text NOT NULL,
    partner_org_name text,
    approval_status  text NOT NULL,
    is_active        boolean NOT NULL DEFAULT false,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz,
    UNIQUE (dprovider_id, dtype_code, dstype_code, make, model)
);
CREATE INDEX device_detail_provider_idx ON device_detail (dprovider_id);

CREATE TABLE secure_biometric_interface (
    id               text PRIMARY KEY,
    sw_binary_hash   text NOT NULL,
    sw_version       text NOT NULL,
    sw_cr_dtimes     timestamptz,
    sw_expiry_dtimes timestamptz,
    approval_status  text NOT NULL,
    is_active        boolean NOT NULL DEFAULT false,
    provider_id      text,
    partner_org_name text,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz
);
CREATE UNIQUE INDEX secure_biometric_interface_version_idx
    ON secure_biometric_interface (provider_id, sw_version);

CREATE TABLE device_detail_sbi (
    device_detail_id text NOT NULL REFERENCES device_detail (id),
    sbi_id           text NOT NULL REFERENCES secure_biometric_interface (id),
    dprovider_id     text NOT NULL,
    partner_org_name text,
    is_active        boolean NOT NULL DEFAULT true,
    cr_by            text NOT NULL,
    cr_dtimes        timestamptz NOT NULL DEFAULT now(),
    upd_by           text,
    upd_dtimes       timestamptz,
    PRIMARY KEY (device_detail_id, sbi_id)
);

-- MOSIP's device types and sub-types (reference data, as the partner types: mosip_pms DML
-- pms-reg_device_type.csv, pms-reg_device_sub_type.csv).
INSERT INTO reg_device_type (code, name, descr) VALUES
    ('Finger', 'Finger', 'Fingerprint Biometric'),
    ('Face', 'Face', 'Face Biometric'),
    ('Iris', 'Iris', 'Iris Biomertric');
INSERT INTO reg_device_sub_type (code, dtyp_code, name, descr) VALUES
    ('Slap', 'Finger', 'Slap', 'Fingerprint Slap'),
    ('Single', 'Finger', 'Single', 'Fingerprint Single Finger'),
    ('Touchless', 'Finger', 'Touchless', 'Touch Fingerprint'),
    ('Single', 'Iris', 'Single', 'Single'),
    ('Double', 'Iris', 'Double', 'Double'),
    ('Full face', 'Face', 'Full face', 'Full Face');
