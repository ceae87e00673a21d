-- Core records. Portable SQL: it runs on MariaDB 10.11, MySQL 8 and SQLite, and uses nothing
-- that TiDB or Vitess lack (no foreign keys, no triggers, no AUTO_INCREMENT: ids are made by the
-- application). Every tenant table carries reseller_id, the scope of every query and the
-- natural sharding key.

-- +goose Up
CREATE TABLE IF NOT EXISTS resellers (
  id BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  created_at DATETIME(6) NOT NULL
);

CREATE TABLE IF NOT EXISTS api_keys (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NULL,
  role VARCHAR(16) NOT NULL,
  name VARCHAR(200) NOT NULL,
  secret_hash CHAR(64) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  revoked_at DATETIME(6) NULL
);
CREATE INDEX IF NOT EXISTS api_keys_reseller ON api_keys (reseller_id, id);

CREATE TABLE IF NOT EXISTS customers (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  organization_name VARCHAR(200) NOT NULL,
  country CHAR(2) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS customers_reseller ON customers (reseller_id, id);

CREATE TABLE IF NOT EXISTS agreements (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  program VARCHAR(32) NOT NULL,
  number VARCHAR(64) NOT NULL,
  start_date DATE NOT NULL,
  anniversary_date DATE NOT NULL,
  created_at DATETIME(6) NOT NULL
);
-- R-AGR-2: numbers are unique within a reseller (a global index would tell one reseller that
-- another holds a number).
CREATE UNIQUE INDEX IF NOT EXISTS agreements_number ON agreements (reseller_id, number);
CREATE INDEX IF NOT EXISTS agreements_customer ON agreements (reseller_id, customer_id, id);

CREATE TABLE IF NOT EXISTS agreement_contacts (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  agreement_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  email VARCHAR(254) NOT NULL,
  roles VARCHAR(200) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS agreement_contacts_email ON agreement_contacts (reseller_id, agreement_id, email);

CREATE TABLE IF NOT EXISTS enrollments (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  agreement_id BIGINT NOT NULL,
  number VARCHAR(64) NOT NULL,
  organization_name VARCHAR(200) NOT NULL,
  osm_name VARCHAR(200) NOT NULL,
  osm_email VARCHAR(254) NOT NULL,
  start_date DATE NOT NULL,
  end_date DATE NOT NULL,
  status VARCHAR(16) NOT NULL,
  account_id BIGINT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS enrollments_number ON enrollments (reseller_id, number);
CREATE INDEX IF NOT EXISTS enrollments_agreement ON enrollments (reseller_id, agreement_id, id);
CREATE INDEX IF NOT EXISTS enrollments_account ON enrollments (reseller_id, account_id, id);

CREATE TABLE IF NOT EXISTS accounts (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  country CHAR(2) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE INDEX IF NOT EXISTS accounts_customer ON accounts (reseller_id, customer_id, id);

CREATE TABLE IF NOT EXISTS account_domains (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  domain VARCHAR(253) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS account_domains_domain ON account_domains (reseller_id, domain);
CREATE INDEX IF NOT EXISTS account_domains_account ON account_domains (reseller_id, account_id);

CREATE TABLE IF NOT EXISTS account_admins (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  email VARCHAR(254) NOT NULL,
  role VARCHAR(16) NOT NULL
);
CREATE INDEX IF NOT EXISTS account_admins_account ON account_admins (reseller_id, account_id);
CREATE INDEX IF NOT EXISTS account_admins_email ON account_admins (reseller_id, email);

CREATE TABLE IF NOT EXISTS account_users (
  id BIGINT NOT NULL PRIMARY KEY,
  reseller_id BIGINT NOT NULL,
  account_id BIGINT NOT NULL,
  user_name VARCHAR(254) NOT NULL,
  display_name VARCHAR(200) NOT NULL,
  created_at DATETIME(6) NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS account_users_name ON account_users (reseller_id, account_id, user_name);

-- The SKU catalog is public product data, shared by all resellers; lists are comma-separated
-- SKU codes or ISO countries (short, read whole, never queried by element).
CREATE TABLE IF NOT EXISTS skus (
  code VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  family VARCHAR(32) NOT NULL,
  kind VARCHAR(16) NOT NULL,
  unit VARCHAR(16) NOT NULL,
  base_skus VARCHAR(1000) NOT NULL,
  countries VARCHAR(1000) NOT NULL,
  incompatible_skus VARCHAR(1000) NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS skus;
DROP TABLE IF EXISTS account_users;
DROP TABLE IF EXISTS account_admins;
DROP TABLE IF EXISTS account_domains;
DROP TABLE IF EXISTS accounts;
DROP TABLE IF EXISTS enrollments;
DROP TABLE IF EXISTS agreement_contacts;
DROP TABLE IF EXISTS agreements;
DROP TABLE IF EXISTS customers;
DROP TABLE IF EXISTS api_keys;
DROP TABLE IF EXISTS resellers;
