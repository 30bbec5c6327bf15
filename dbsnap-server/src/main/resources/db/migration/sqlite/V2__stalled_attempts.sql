-- Attempts in a row that ended in a transient failure without storing a new checkpoint. The retry
-- budget (workers.maxAttempts) counts these, so a job that advances on every attempt is never given
-- up on; attempts stays the total number of claims. A job queued before this column existed starts
-- with the whole budget.
ALTER TABLE jobs ADD COLUMN stalled_attempts INTEGER NOT NULL DEFAULT 0;
