-- Activation: how an enrollment came onto its account, the activation emails and links,
-- Open Value product keys, and renewals.

ALTER TABLE enrollments ADD COLUMN associated_at DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN association_cause VARCHAR(32) NOT NULL DEFAULT '';
ALTER TABLE enrollments ADD COLUMN last_activated_at DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN original_purchase_date DATE NULL;
ALTER TABLE enrollments ADD COLUMN link_reenabled_until DATETIME(6) NULL;
ALTER TABLE enrollments ADD COLUMN renewed_from_id BIGINT NULL;
ALTER TABLE enrollments ADD COLUMN renewal_needs_activation BOOLEAN NOT NULL DEFAULT FALSE;

-- Every activation email, scheduled and sent (R-ACT-1, R-ACT-7).
CREATE TABLE activation_emails (
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
CREATE INDEX activation_emails_enrollment ON activation_emails (reseller_id, enrollment_id, id);
-- The dispatcher's scan: unsent emails by due time, across resellers.
CREATE INDEX activation_emails_due ON activation_emails (sent_at, scheduled_at);

-- Activation links: only the SHA-256 of each token is kept; a token is minted when its email
-- is sent. Every token of an enrollment stays valid until the link expires (R-ACT-8, R-ACT-9).
CREATE TABLE activation_links (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  enrollment_id BIGINT NOT NULL,
  token_hash CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX activation_links_token ON activation_links (token_hash);

-- Open Value product keys: one per processed order line, for all its licenses (R-ACT-13).
CREATE TABLE product_keys (
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
CREATE UNIQUE INDEX product_keys_key ON product_keys (product_key);
CREATE INDEX product_keys_order ON product_keys (reseller_id, order_id);
