-- Licences by MISP (issue 4, licence-expiry sweep): the renewal check of each batch looks up,
-- per MISP, whether a valid licence is left and which policy its newest licence had; the
-- licence endpoints list a MISP's licences newest first. Without this index each lookup scans
-- the licences by expiry.
CREATE INDEX misp_license_misp ON misp_license (misp_id, valid_to_date DESC);
