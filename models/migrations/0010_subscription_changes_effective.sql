-- Licenses still pending are not yet on the account (R-ORD-5): the summary and the conflict list
-- read, per subscription, the changes whose licenses are not available at the instant asked
-- about. Those are a few recent rows; this index finds them without scanning every change.

-- +goose Up
CREATE INDEX IF NOT EXISTS subscription_changes_effective ON subscription_changes (effective_at, reseller_id, subscription_id);

-- +goose Down
DROP INDEX IF EXISTS subscription_changes_effective ON subscription_changes;
