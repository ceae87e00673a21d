-- Rows that guard a decision on any number of nodes (issue 12): a transaction that decides from
-- a row also writes it (revision + 1, Store.guard), so that of two transactions on two Galera
-- nodes that decided from the same row, the second to commit fails certification and runs
-- again, reading what the first wrote. A lock (SELECT ... FOR UPDATE) holds on one node only.
-- accounts.revision: the account's license pools (assigning, removing, lowering a quantity,
-- deleting a user, the deprovisioning sweep). enrollments.revision: what processing decides for
-- an enrollment (its first order, its email or account) and every association onto an account.
-- resellers.revision: the cap on webhook endpoints.

-- +goose Up
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE resellers ADD COLUMN IF NOT EXISTS revision BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE resellers DROP COLUMN IF EXISTS revision;
ALTER TABLE enrollments DROP COLUMN IF EXISTS revision;
ALTER TABLE accounts DROP COLUMN IF EXISTS revision;
