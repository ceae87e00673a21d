-- Events out (issue 13): the outbox of events a partner cares about, the scheduler's watermark,
-- and webhook endpoints with their deliveries and every attempt.
--
-- events: written in the same transaction as the change (RecordEvent). seq is the order a
-- reader sees them in: it is given after commit by the sequencer (SequenceEvents), one at a
-- time across replicas, so a reader resuming after a seq never skips an event that committed
-- late; NULL until then; 0 for the events of sendTestWebhook, which are never listed.
-- dedup_key: the time-driven events' (topic, object, instant), so that each is recorded once
-- whichever replica's scheduler finds it; NULL for events written with a change.

-- +goose Up
CREATE TABLE IF NOT EXISTS events (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  topic VARCHAR(64) NOT NULL,
  occurred_at DATETIME(6) NOT NULL,
  payload TEXT NOT NULL,
  dedup_key VARCHAR(200) NULL,
  seq BIGINT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_dedup ON events (reseller_id, dedup_key);
CREATE INDEX IF NOT EXISTS events_reseller_seq ON events (reseller_id, seq);
CREATE INDEX IF NOT EXISTS events_reseller_topic_seq ON events (reseller_id, topic, seq);
-- The sequencer's scan: unsequenced events by id.
CREATE INDEX IF NOT EXISTS events_unsequenced ON events (seq, id);

-- Named counters: 'events' holds the last seq given (last_seq); 'due_events' the instant up to
-- which the scheduler has recorded the time-driven events (done_until).
CREATE TABLE IF NOT EXISTS event_counters (
  name VARCHAR(32) NOT NULL PRIMARY KEY,
  last_seq BIGINT NOT NULL,
  done_until DATETIME(6) NULL
);

-- The scheduler's scans across resellers, by the instant each time-driven event derives from.
CREATE INDEX IF NOT EXISTS orders_processed_at ON orders (processed_at);
CREATE INDEX IF NOT EXISTS reservations_reserved_at ON reservations (reserved_at);
CREATE INDEX IF NOT EXISTS subscriptions_end_date ON subscriptions (end_date);

-- A reseller's webhook endpoints. topics: comma-separated event topics. secret signs every
-- delivery; during a rotation's overlap previous_secret signs too, until previous_secret_until.
-- failing_since: the first failed attempt since the last success (NULL while healthy).
CREATE TABLE IF NOT EXISTS webhook_endpoints (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  url VARCHAR(2000) NOT NULL,
  description VARCHAR(500) NOT NULL,
  topics VARCHAR(1000) NOT NULL,
  status VARCHAR(16) NOT NULL,
  secret VARCHAR(100) NOT NULL,
  previous_secret VARCHAR(100) NULL,
  previous_secret_until DATETIME(6) NULL,
  secret_rotated_at DATETIME(6) NULL,
  disabled_at DATETIME(6) NULL,
  disabled_reason VARCHAR(500) NOT NULL DEFAULT '',
  failing_since DATETIME(6) NULL,
  last_failure_at DATETIME(6) NULL,
  last_failure VARCHAR(500) NOT NULL DEFAULT '',
  last_success_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_reseller ON webhook_endpoints (reseller_id, id);

-- One event to one endpoint (kind EVENT, REPLAY or TEST), claimed with a lease like activation
-- emails: claimed_until/claim_id hold the live lease, next_attempt_at the back-off.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  endpoint_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  topic VARCHAR(64) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  status VARCHAR(16) NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NULL,
  claimed_until DATETIME(6) NULL,
  claim_id BIGINT NULL,
  last_status_code INT NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  delivered_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (reseller_id, endpoint_id, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_event ON webhook_deliveries (reseller_id, event_id, id);

-- Every attempt of a delivery: never the signature or the secret.
CREATE TABLE IF NOT EXISTS webhook_attempts (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  delivery_id BIGINT NOT NULL,
  endpoint_id BIGINT NOT NULL,
  event_id BIGINT NOT NULL,
  attempt INT NOT NULL,
  started_at DATETIME(6) NOT NULL,
  duration_ms INT NOT NULL,
  status_code INT NULL,
  error VARCHAR(500) NOT NULL DEFAULT '',
  succeeded BOOLEAN NOT NULL,
  next_attempt_at DATETIME(6) NULL
);
CREATE INDEX IF NOT EXISTS webhook_attempts_delivery ON webhook_attempts (reseller_id, delivery_id, id);
CREATE INDEX IF NOT EXISTS webhook_attempts_endpoint ON webhook_attempts (reseller_id, endpoint_id, id);
CREATE INDEX IF NOT EXISTS webhook_attempts_event ON webhook_attempts (reseller_id, event_id, id);

-- +goose Down
DROP TABLE IF EXISTS webhook_attempts;
DROP TABLE IF EXISTS webhook_deliveries;
DROP TABLE IF EXISTS webhook_endpoints;
DROP INDEX IF EXISTS subscriptions_end_date ON subscriptions;
DROP INDEX IF EXISTS reservations_reserved_at ON reservations;
DROP INDEX IF EXISTS orders_processed_at ON orders;
DROP TABLE IF EXISTS event_counters;
DROP TABLE IF EXISTS events;
