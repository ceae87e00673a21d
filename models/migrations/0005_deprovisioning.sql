-- R-SUB-3: when the sweep deprovisioned a subscription whose grace period ended.

-- +goose Up
ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS deprovisioned_at DATETIME(6) NULL;
CREATE INDEX IF NOT EXISTS subscriptions_grace_until ON subscriptions (grace_until, deprovisioned_at);

-- +goose Down
DROP INDEX IF EXISTS subscriptions_grace_until ON subscriptions;
ALTER TABLE subscriptions DROP COLUMN IF EXISTS deprovisioned_at;
