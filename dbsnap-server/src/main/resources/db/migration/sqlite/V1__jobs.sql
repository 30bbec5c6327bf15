-- Export jobs of dbsnap serve. Times are epoch milliseconds; booleans are 0/1 integers so that the
-- same statements run on SQLite and PostgreSQL.
CREATE TABLE jobs (
  id                TEXT PRIMARY KEY,
  source            TEXT NOT NULL,
  state             TEXT NOT NULL,
  request_json      TEXT NOT NULL,
  idempotency_key   TEXT,
  request_hash      TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  started_at        BIGINT,
  updated_at        BIGINT NOT NULL,
  finished_at       BIGINT,
  attempts          INTEGER NOT NULL DEFAULT 0,
  run_after         BIGINT NOT NULL,
  lease_owner       TEXT,
  lease_expires_at  BIGINT,
  lease_version     BIGINT NOT NULL DEFAULT 0,
  cancel_requested  INTEGER NOT NULL DEFAULT 0,
  checkpoint_json   TEXT,
  progress_json     TEXT,
  manifest_json     TEXT,
  error_code        TEXT,
  error_message     TEXT,
  callback_url      TEXT,
  event_id          TEXT,
  webhook_delivered INTEGER NOT NULL DEFAULT 0,
  webhook_next_at   BIGINT,
  webhook_first_at  BIGINT,
  webhook_attempts  INTEGER NOT NULL DEFAULT 0,
  webhook_version   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_claim ON jobs (state, run_after);
CREATE INDEX jobs_list ON jobs (created_at DESC, id DESC);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (source, idempotency_key);
CREATE INDEX jobs_webhook_due ON jobs (webhook_next_at);

-- One row per claim of a job: proves that every job ran once and that no two runs overlapped.
CREATE TABLE job_runs (
  id         TEXT PRIMARY KEY,
  job_id     TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  owner      TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at   BIGINT,
  outcome    TEXT
);
CREATE INDEX job_runs_job ON job_runs (job_id, started_at);

-- Every delivery attempt of a job's webhook event.
CREATE TABLE webhook_attempts (
  job_id  TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at      BIGINT NOT NULL,
  status  INTEGER NOT NULL,
  error   TEXT,
  PRIMARY KEY (job_id, attempt)
);
