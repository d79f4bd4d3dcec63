-- FTM providers' chips (PMS 1.2.0.1 `ftp_chip_detail`, FTPChipDetailController): a chip waits
-- for its certificate (`pending_cert_upload`), then for an administrator
-- (`pending_approval`), who approves (`approved`, active) or rejects (`rejected`). The chip's
-- MOSIP-signed certificate is kept here too (`certificate_pem`), so reading it needs no
-- keymanager call.
CREATE TABLE ftp_chip_detail (
    id                             text PRIMARY KEY,
    foundational_trust_provider_id text NOT NULL,
    make                           text NOT NULL,
    model                          text NOT NULL,
    certificate_alias              text,
    certificate_pem                text,
    certificate_uploaded_at        timestamptz,
    partner_org_name               text,
    approval_status                text NOT NULL,
    is_active                      boolean NOT NULL DEFAULT false,
    cr_by                          text NOT NULL,
    cr_dtimes                      timestamptz NOT NULL DEFAULT now(),
    upd_by                         text,
    upd_dtimes                     timestamptz,
    UNIQUE (foundational_trust_provider_id, make, model)
);
