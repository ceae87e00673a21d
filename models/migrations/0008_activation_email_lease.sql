-- Sending an activation email is claimed with a lease, so that a crash between claiming and
-- sending loses nothing (the lease runs out and the email is claimed again) and several
-- dispatchers never send one attempt twice while a lease is live.
-- claimed_until: the live lease's end; claim_id: whose lease it is (NULL when unclaimed).
-- attempts: claims so far; next_attempt_at: the earliest next claim (back-off after a failed
-- send); NULL parks an email whose activation link expired until support re-enables the link
-- (R-ACT-8). last_error: why the last attempt failed, with addresses and links removed.

-- +goose Up
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS claimed_until DATETIME(6) NULL;
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS claim_id BIGINT NULL;
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS attempts INT NOT NULL DEFAULT 0;
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS next_attempt_at DATETIME(6) NULL;
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS last_error VARCHAR(500) NOT NULL DEFAULT '';
-- Emails not yet sent are due at their scheduled time (attempts = 0: none was tried yet).
UPDATE activation_emails SET next_attempt_at = scheduled_at WHERE sent_at IS NULL AND attempts = 0 AND next_attempt_at IS NULL;
-- The dispatcher's scan: unsent emails by their next attempt.
CREATE INDEX IF NOT EXISTS activation_emails_next_attempt ON activation_emails (sent_at, next_attempt_at);

-- +goose Down
DROP INDEX IF EXISTS activation_emails_next_attempt ON activation_emails;
ALTER TABLE activation_emails DROP COLUMN IF EXISTS last_error;
ALTER TABLE activation_emails DROP COLUMN IF EXISTS next_attempt_at;
ALTER TABLE activation_emails DROP COLUMN IF EXISTS attempts;
ALTER TABLE activation_emails DROP COLUMN IF EXISTS claim_id;
ALTER TABLE activation_emails DROP COLUMN IF EXISTS claimed_until;
