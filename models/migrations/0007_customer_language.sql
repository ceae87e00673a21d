-- The language a customer's activation emails are written in (ISO 639-1: en, sv, de, da);
-- English for every customer created before languages existed.

-- +goose Up
ALTER TABLE customers ADD COLUMN IF NOT EXISTS language VARCHAR(8) NOT NULL DEFAULT 'en';

-- +goose Down
ALTER TABLE customers DROP COLUMN IF EXISTS language;
