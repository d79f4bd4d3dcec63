-- Scheduler state (issue 4): pause flags per schedule, and what each recorded fire did.
-- The cron expressions live in configuration; a row exists once a schedule was paused or
-- resumed.
CREATE TABLE schedule_state (
    name        text PRIMARY KEY,
    paused      boolean NOT NULL DEFAULT false,
    updated_by  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- `started`: the fire created run_id; `skipped`: the previous run of the schedule was still
-- running; `triggered`: an operator fired it by hand (run_id set).
ALTER TABLE cron_fire
    ADD COLUMN outcome text NOT NULL DEFAULT 'started'
        CHECK (outcome IN ('started', 'skipped', 'triggered'));
CREATE INDEX cron_fire_latest ON cron_fire (schedule, fire_at DESC);
