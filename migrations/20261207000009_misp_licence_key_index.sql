-- MISP licence keys are unique per MISP through the primary key (misp_id, license_key), as in
-- MOSIP's DDL (pms.misp_license); the second unique index on license_key alone is dropped.
-- Nothing looks a licence up by its key alone, and a 50-character CSPRNG key does not repeat.
-- Each licence-expiry sweep updates its licences outside HOT (is_active is in the expiry
-- index's predicate), so every index of the table takes one insert per licence marked; this
-- one, keyed by a random string, touched nearly every leaf page in a large sweep (85 MiB of
-- full-page images out of 612 MiB of WAL for 100,000 licences in `bench sweep`).
DROP INDEX misp_license_key;
