-- The rollup's group sums (models/cells.go, cellSums; read in models/summary_cells.go): per
-- reseller, the sums of its stored cells by one dimension, so that a summary with few groups
-- (reseller, SKU, program, family) reads a few rows instead of every cell, and one grouped by
-- customer, agreement, enrollment or account reads a page of rows and counts its groups from a
-- narrow range instead of every cell (R-BI-2). dim: 0 by program and SKU (program '' for none),
-- 1 customer, 2 agreement, 3 enrollment (group_key 0 for none), 4 account, 5 account and SKU
-- (group_key the account_key of license_cells). shard is the pool's account_key modulo 16: the
-- rows every pool adds to (dim 0, no agreement...) are 16 rows, so refreshes of different pools
-- seldom wait on one row. A refresh adds its pools' change to the rows in its transaction:
-- they are always the sums of license_cells (cells counts the cells; a row at 0 is no group).
-- license_cells_built is emptied so that migrate rebuilds the rollup, sums included, under the
-- migration lock. license_cells_sku_totals served the SKU grouping, now read from the sums.

-- +goose Up
CREATE TABLE IF NOT EXISTS license_cell_sums (
  reseller_id BIGINT NOT NULL,
  dim SMALLINT NOT NULL,
  group_key BIGINT NOT NULL,
  program VARCHAR(32) NOT NULL,
  sku VARCHAR(64) NOT NULL,
  shard SMALLINT NOT NULL,
  licensed INT NOT NULL,
  pending INT NOT NULL,
  in_grace INT NOT NULL,
  reserved_not_billed INT NOT NULL,
  assigned INT NOT NULL,
  unassignable INT NOT NULL,
  cells INT NOT NULL,
  PRIMARY KEY (reseller_id, dim, group_key, program, sku, shard)
);
DELETE FROM license_cells_built;
DROP INDEX IF EXISTS license_cells_sku_totals ON license_cells;

-- +goose Down
CREATE INDEX IF NOT EXISTS license_cells_sku_totals ON license_cells (reseller_id, sku, licensed, pending, in_grace, reserved_not_billed, assigned, unassignable);
DROP TABLE IF EXISTS license_cell_sums;
