-- The licensing ledger: orders, reservations, subscriptions and every quantity change.

-- +goose Up
CREATE TABLE IF NOT EXISTS orders (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  number VARCHAR(32) NOT NULL,
  status VARCHAR(16) NOT NULL,
  purchase_date DATE NOT NULL,
  usage_start_date DATE NOT NULL,
  idempotency_key VARCHAR(200) NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  moves_from_subscription_id BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  processed_at DATETIME(6) NULL,
  cancelled_at DATETIME(6) NULL
);
-- R-ORD-2: one order per key and reseller, enforced by the database so concurrent retries
-- cannot both insert.
CREATE UNIQUE INDEX IF NOT EXISTS orders_idempotency ON orders (reseller_id, idempotency_key);
CREATE UNIQUE INDEX IF NOT EXISTS orders_number ON orders (reseller_id, number);
CREATE INDEX IF NOT EXISTS orders_enrollment ON orders (reseller_id, enrollment_id, id);
CREATE INDEX IF NOT EXISTS orders_status ON orders (reseller_id, status, id);

CREATE TABLE IF NOT EXISTS order_lines (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  line_no INT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  quantity INT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS order_lines_order ON order_lines (reseller_id, order_id, line_no);

-- A subscription is one SKU on one enrollment, or one direct (MOSP) purchase on an account.
-- quantity is the running total of subscription_changes, kept on the row so that a write
-- locks one row (SELECT ... FOR UPDATE) and reads need no sum.
CREATE TABLE IF NOT EXISTS subscriptions (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NULL,
  direct_account_id BIGINT NULL,
  program VARCHAR(32) NOT NULL,
  sku VARCHAR(64) NOT NULL,
  quantity INT NOT NULL,
  end_date DATE NOT NULL,
  auto_renew BOOLEAN NOT NULL,
  cancelled_at DATETIME(6) NULL,
  grace_from DATETIME(6) NULL,
  grace_until DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS subscriptions_enrollment_sku ON subscriptions (reseller_id, enrollment_id, sku);
CREATE INDEX IF NOT EXISTS subscriptions_direct_account ON subscriptions (reseller_id, direct_account_id, sku);

-- Every change of a subscription's quantity, so quantities can be read as of any instant and
-- pending licenses (R-ORD-5) told apart.
CREATE TABLE IF NOT EXISTS subscription_changes (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  subscription_id BIGINT NOT NULL,
  delta INT NOT NULL,
  cause VARCHAR(16) NOT NULL,
  order_id BIGINT NULL,
  reservation_id BIGINT NULL,
  effective_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS subscription_changes_sub ON subscription_changes (reseller_id, subscription_id, effective_at);

CREATE TABLE IF NOT EXISTS reservations (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  subscription_id BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  quantity INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  contact_email VARCHAR(254) NOT NULL,
  reserved_at DATETIME(6) NOT NULL,
  processed_at DATETIME(6) NULL,
  billing_date DATE NOT NULL,
  idempotency_key VARCHAR(200) NOT NULL,
  fingerprint CHAR(64) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS reservations_idempotency ON reservations (reseller_id, idempotency_key);
CREATE INDEX IF NOT EXISTS reservations_enrollment ON reservations (reseller_id, enrollment_id, id);
CREATE INDEX IF NOT EXISTS reservations_status ON reservations (reseller_id, status, reserved_at);

-- R-RES-3: MANAGE_RESERVATIONS granted to an enrollment's OSM (by email), per enrollment.
CREATE TABLE IF NOT EXISTS reservation_permissions (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  email VARCHAR(254) NOT NULL,
  granted_by VARCHAR(254) NOT NULL,
  granted_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS reservation_permissions_key ON reservation_permissions (reseller_id, enrollment_id, email);

-- +goose Down
DROP TABLE IF EXISTS reservation_permissions;
DROP TABLE IF EXISTS reservations;
DROP TABLE IF EXISTS subscription_changes;
DROP TABLE IF EXISTS subscriptions;
DROP TABLE IF EXISTS order_lines;
DROP TABLE IF EXISTS orders;
