-- The rollup's groupings in index order (models/summary_cells.go, storedGroups): grouped by
-- customer (and SKU), agreement or enrollment, a page of groups reads only its own cells
-- through these indexes and stops at the page's end, instead of grouping and sorting every
-- cell of the scope (the account's groups use the primary key). By SKU, every cell is read, from
-- license_cells_sku_totals alone and in its order (no table rows, no temporary table).

-- +goose Up
CREATE INDEX IF NOT EXISTS license_cells_customer ON license_cells (reseller_id, customer_id, sku);
CREATE INDEX IF NOT EXISTS license_cells_agreement ON license_cells (reseller_id, agreement_id, sku);
CREATE INDEX IF NOT EXISTS license_cells_enrollment ON license_cells (reseller_id, enrollment_id, sku);
CREATE INDEX IF NOT EXISTS license_cells_sku_totals ON license_cells (reseller_id, sku, licensed, pending, in_grace, reserved_not_billed, assigned, unassignable);

-- +goose Down
DROP INDEX IF EXISTS license_cells_sku_totals ON license_cells;
DROP INDEX IF EXISTS license_cells_enrollment ON license_cells;
DROP INDEX IF EXISTS license_cells_agreement ON license_cells;
DROP INDEX IF EXISTS license_cells_customer ON license_cells;
