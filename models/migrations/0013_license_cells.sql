-- The license summary's rollup (R-BI-1, R-BI-2; models/cells.go). license_cells: one row per
-- summary cell of a pool (reseller, account_key, sku), what LicenseSummary's per-subscription
-- SQL gives grouped by all eight dimensions for that pool, numbered from 1 (cell_no).
-- account_key is the account, or -reseller_id for the licenses on no account.
-- license_cell_pools: one row per pool, valid_from/valid_until the instants for which its
-- cells are exact, revision written by every change to the pool (the lock, and the Galera
-- certification key, that orders its refreshes). Apart from the cells so that a summary scans
-- cells only. license_cells_built says the backfill ran: until then the summary takes the slow
-- path.

-- +goose Up
CREATE TABLE IF NOT EXISTS license_cells (
  reseller_id BIGINT NOT NULL,
  account_key BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  cell_no INT NOT NULL,
  customer_id BIGINT NULL,
  agreement_id BIGINT NULL,
  program VARCHAR(32) NULL,
  enrollment_id BIGINT NULL,
  family VARCHAR(32) NULL,
  licensed INT NOT NULL,
  pending INT NOT NULL,
  in_grace INT NOT NULL,
  reserved_not_billed INT NOT NULL,
  assigned INT NOT NULL,
  unassignable INT NOT NULL,
  PRIMARY KEY (reseller_id, account_key, sku, cell_no)
);
CREATE TABLE IF NOT EXISTS license_cell_pools (
  reseller_id BIGINT NOT NULL,
  account_key BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  revision BIGINT NOT NULL DEFAULT 0,
  valid_from DATETIME(6) NOT NULL,
  valid_until DATETIME(6) NOT NULL,
  PRIMARY KEY (reseller_id, account_key, sku)
);
CREATE INDEX IF NOT EXISTS license_cell_pools_due ON license_cell_pools (valid_until);
CREATE INDEX IF NOT EXISTS license_cell_pools_from ON license_cell_pools (valid_from);
CREATE INDEX IF NOT EXISTS license_cell_pools_reseller_due ON license_cell_pools (reseller_id, valid_until);
CREATE INDEX IF NOT EXISTS license_cell_pools_reseller_from ON license_cell_pools (reseller_id, valid_from);
CREATE TABLE IF NOT EXISTS license_cells_built (
  id INT NOT NULL PRIMARY KEY,
  built_at DATETIME(6) NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS license_cells_built;
DROP TABLE IF EXISTS license_cell_pools;
DROP TABLE IF EXISTS license_cells;
