-- The license summary's rollup (R-BI-1, R-BI-2; models/cells.go). One row per summary cell of
-- a pool (reseller, account_key, sku): what LicenseSummary's per-subscription SQL gives grouped
-- by all eight dimensions for that pool, numbered from 1 (cell_no). Row cell_no 0 is the pool's
-- own row: no numbers, its revision written by every change to the pool (the lock, and the
-- Galera certification key, that orders refreshes), and valid_from/valid_until, the instants
-- for which the pool's cells are exact. account_key is the account, or -reseller_id for the
-- licenses on no account. license_cells_built says the backfill ran: until then the summary
-- takes the slow path.

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
  licensed INT NOT NULL DEFAULT 0,
  pending INT NOT NULL DEFAULT 0,
  in_grace INT NOT NULL DEFAULT 0,
  reserved_not_billed INT NOT NULL DEFAULT 0,
  assigned INT NOT NULL DEFAULT 0,
  unassignable INT NOT NULL DEFAULT 0,
  revision BIGINT NOT NULL DEFAULT 0,
  valid_from DATETIME(6) NOT NULL,
  valid_until DATETIME(6) NOT NULL,
  PRIMARY KEY (reseller_id, account_key, sku, cell_no)
);
CREATE INDEX IF NOT EXISTS license_cells_due ON license_cells (cell_no, valid_until);
CREATE INDEX IF NOT EXISTS license_cells_from ON license_cells (cell_no, valid_from);
CREATE INDEX IF NOT EXISTS license_cells_reseller_due ON license_cells (reseller_id, cell_no, valid_until);
CREATE INDEX IF NOT EXISTS license_cells_reseller_from ON license_cells (reseller_id, cell_no, valid_from);
CREATE TABLE IF NOT EXISTS license_cells_built (
  id INT NOT NULL PRIMARY KEY,
  built_at DATETIME(6) NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS license_cells_built;
DROP TABLE IF EXISTS license_cells;
