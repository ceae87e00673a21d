-- A key's fair share of the API (issue 8): its cost bucket and its cap on requests in flight.
-- Zero means the server's default.
ALTER TABLE api_keys ADD COLUMN cost_bucket_size INT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN cost_restore_rate INT NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN max_in_flight INT NOT NULL DEFAULT 0;
