-- License assignments (R-LIC) and the indexes of the license summary (R-BI-1, R-BI-2).
-- Portable SQL as in 0001: no foreign keys, no AUTO_INCREMENT, no triggers.

-- +goose Up
-- One license of a SKU given to one user of an account. The licence pool is (account, SKU):
-- subscriptions of every enrollment on the account and its direct purchases cover the same
-- users (R-ENR-2), so assignments are per account, not per subscription, and a renewal with
-- the same SKU carries them over by itself (R-SUB-4).
CREATE TABLE IF NOT EXISTS license_assignments (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  assigned_at DATETIME(6) NOT NULL
);
-- A user holds a SKU once (R-LIC-1 counts users, not rows). It is also the covering index of
-- the counts that decide: COUNT(*) of one (reseller, account, SKU) for an assignment (R-LIC-1)
-- or a lowered quantity (R-LIC-6) reads one range of the index, never the rows.
CREATE UNIQUE INDEX IF NOT EXISTS license_assignments_pool ON license_assignments (reseller_id, account_id, sku, user_id);
-- The conflicts of an account list each SKU's users oldest assignment first (R-LIC-4, last in
-- first out): covering and in that order, so the largest account reads one index range,
-- with no sort and no row lookups.
CREATE INDEX IF NOT EXISTS license_assignments_holdings ON license_assignments (reseller_id, account_id, sku, assigned_at, user_id);
-- Deleting a user frees all their licenses (R-LIC-5): find their rows without scanning the
-- account's other users.
CREATE INDEX IF NOT EXISTS license_assignments_user ON license_assignments (reseller_id, user_id);

-- The number of users assigned per pool, kept in the transaction of every assignment change
-- (under the account lock that serializes them), so the summary and the conflict list read
-- one row per pool instead of counting a million assignments on every call (R-BI-2). The
-- assignments stay the truth: decisions (R-LIC-1, R-LIC-6) count them, and
-- Store.RebuildLicensePools recomputes this table from them.
CREATE TABLE IF NOT EXISTS license_pools (
  reseller_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  assigned INT NOT NULL,
  PRIMARY KEY (reseller_id, account_id, sku)
);

-- The summary sums reservations not yet billed per subscription (R-RES-1): covering, so the
-- sum reads the index only.
CREATE INDEX IF NOT EXISTS reservations_subscription ON reservations (reseller_id, subscription_id, billing_date, quantity);

-- +goose Down
DROP INDEX IF EXISTS reservations_subscription ON reservations;
DROP TABLE IF EXISTS license_pools;
DROP TABLE IF EXISTS license_assignments;
