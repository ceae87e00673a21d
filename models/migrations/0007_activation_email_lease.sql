-- Sending an activation email is claimed with a lease, so that a crash between claiming and
-- sending loses nothing (the lease runs out and the email is claimed again) and several
-- dispatchers never send one attempt twice while a lease is live.
-- claimed_until: the live lease's end; claim_id: whose lease it is (NULL when unclaimed).
-- attempts: claims so far; next_attempt_at: the earliest next claim (back-off after a failed
-- send); NULL parks an email whose activation link expired until support re-enables the link
-- (R-ACT-8). last_error: why the last attempt failed, with addresses and links removed.
ALTER TABLE activation_emails ADD COLUMN claimed_until DATETIME(6) NULL;
ALTER TABLE activation_emails ADD COLUMN claim_id BIGINT NULL;
ALTER TABLE activation_emails ADD COLUMN attempts INT NOT NULL DEFAULT 0;
ALTER TABLE activation_emails ADD COLUMN next_attempt_at DATETIME(6) NULL;
ALTER TABLE activation_emails ADD COLUMN last_error VARCHAR(500) NOT NULL DEFAULT '';
UPDATE activation_emails SET next_attempt_at = scheduled_at WHERE sent_at IS NULL;
-- The dispatcher's scan: unsent emails by their next attempt.
CREATE INDEX activation_emails_next_attempt ON activation_emails (sent_at, next_attempt_at);
