-- R-SUB-3: when the sweep deprovisioned a subscription whose grace period ended.
ALTER TABLE subscriptions ADD COLUMN deprovisioned_at DATETIME(6) NULL;
CREATE INDEX subscriptions_grace_until ON subscriptions (grace_until, deprovisioned_at);
