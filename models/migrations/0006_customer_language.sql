-- The language a customer's activation emails are written in (ISO 639-1: en, sv, de, da);
-- English for every customer created before languages existed.
ALTER TABLE customers ADD COLUMN language VARCHAR(8) NOT NULL DEFAULT 'en';
