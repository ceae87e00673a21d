-- An activation email the mail server refused for good (a permanent 5xx answer: no such
-- mailbox, a rejected domain) is parked instead of retried: bounced_at is when, last_error
-- says why (addresses and links removed). It waits for the subscription contact to be fixed
-- (updateSubscriptionContact sends a new email) or a resend; activationStatus explains it.

-- +goose Up
ALTER TABLE activation_emails ADD COLUMN IF NOT EXISTS bounced_at DATETIME(6) NULL;

-- +goose Down
ALTER TABLE activation_emails DROP COLUMN IF EXISTS bounced_at;
