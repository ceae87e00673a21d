-- Lookups the rules of issue 10 need without scanning a reseller's rows.
-- Licenses still pending are not yet on the account (R-ORD-5): the summary and the conflict list
-- read, per subscription, the changes whose licenses are not available at the instant asked
-- about; those are a few recent rows.
-- A conflict after a renewal onto other SKUs names the SKUs that replaced the old one (R-SUB-4):
-- the renewals of the account's enrollments.

-- +goose Up
CREATE INDEX IF NOT EXISTS subscription_changes_effective ON subscription_changes (effective_at, reseller_id, subscription_id);
CREATE INDEX IF NOT EXISTS enrollments_renewed_from ON enrollments (reseller_id, renewed_from_id);

-- +goose Down
DROP INDEX IF EXISTS enrollments_renewed_from ON enrollments;
DROP INDEX IF EXISTS subscription_changes_effective ON subscription_changes;
