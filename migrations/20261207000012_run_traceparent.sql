-- The W3C traceparent of the request that created the run, sent on its steps' MOSIP calls.
ALTER TABLE workflow_run ADD COLUMN traceparent text;
