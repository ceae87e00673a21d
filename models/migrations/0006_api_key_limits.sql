-- A key's fair share of the API (issue 8): its cost bucket and its cap on requests in flight.
-- Zero means the server's default.

-- +goose Up
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS cost_bucket_size INT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS cost_restore_rate INT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS max_in_flight INT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE api_keys DROP COLUMN IF EXISTS max_in_flight;
ALTER TABLE api_keys DROP COLUMN IF EXISTS cost_restore_rate;
ALTER TABLE api_keys DROP COLUMN IF EXISTS cost_bucket_size;
