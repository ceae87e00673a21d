-- Activation: how an enrollment came onto its account, the activation emails and links,
-- Open Value product keys, and renewals.

-- +goose Up
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS associated_at DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS association_cause VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS last_activated_at DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS original_purchase_date DATE NULL;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS link_reenabled_until DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS renewed_from_id BIGINT NULL;
ALTER TABLE enrollments ADD COLUMN IF NOT EXISTS renewal_needs_activation BOOLEAN NOT NULL DEFAULT FALSE;

-- Every activation email, scheduled and sent (R-ACT-1, R-ACT-7).
CREATE TABLE IF NOT EXISTS activation_emails (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  recipient VARCHAR(254) NOT NULL,
  subject VARCHAR(200) NOT NULL,
  email_trigger VARCHAR(32) NOT NULL,
  scheduled_at DATETIME(6) NOT NULL,
  due_by DATETIME(6) NOT NULL,
  sent_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS activation_emails_enrollment ON activation_emails (reseller_id, enrollment_id, id);
-- The dispatcher's scan: unsent emails by due time, across resellers.
CREATE INDEX IF NOT EXISTS activation_emails_due ON activation_emails (sent_at, scheduled_at);

-- Activation links: only the SHA-256 of each token is kept; a token is minted when its email
-- is sent. Every token of an enrollment stays valid until the link expires (R-ACT-8, R-ACT-9).
CREATE TABLE IF NOT EXISTS activation_links (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  token_hash CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS activation_links_token ON activation_links (token_hash);

-- Open Value product keys: one per processed order line, for all its licenses (R-ACT-13).
CREATE TABLE IF NOT EXISTS product_keys (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  order_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  sku VARCHAR(64) NOT NULL,
  quantity INT NOT NULL,
  product_key VARCHAR(40) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  redeemed_at DATETIME(6) NULL,
  redeemed_account_id BIGINT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS product_keys_key ON product_keys (product_key);
CREATE INDEX IF NOT EXISTS product_keys_order ON product_keys (reseller_id, order_id);

-- +goose Down
DROP TABLE IF EXISTS product_keys;
DROP TABLE IF EXISTS activation_links;
DROP TABLE IF EXISTS activation_emails;
ALTER TABLE enrollments DROP COLUMN IF EXISTS renewal_needs_activation;
ALTER TABLE enrollments DROP COLUMN IF EXISTS renewed_from_id;
ALTER TABLE enrollments DROP COLUMN IF EXISTS link_reenabled_until;
ALTER TABLE enrollments DROP COLUMN IF EXISTS original_purchase_date;
ALTER TABLE enrollments DROP COLUMN IF EXISTS last_activated_at;
ALTER TABLE enrollments DROP COLUMN IF EXISTS association_cause;
ALTER TABLE enrollments DROP COLUMN IF EXISTS associated_at;
