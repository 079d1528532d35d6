-- +goose Up
-- Trust between parties (SPEC "Trust between parties and between
-- instances"). Same portable style as 00001.

-- A deal one party logs online without an accepted intent starts
-- pending_confirmation (20 characters): MySQL widens the status column
-- (the statement sits in /*! */; SQLite does not bound VARCHAR anyway).
/*! ALTER TABLE transactions MODIFY status VARCHAR(32) NOT NULL */;

-- A payment a party books waits for the other party (or the market's
-- operator) to confirm it; only confirmed payments count in paid_fen.
-- Every payment booked before this migration keeps counting as it did:
-- it is confirmed, as of its booking, by nobody in particular. Its
-- added_by_org_id is the org of the user who booked it ('' when that
-- user has no org).
ALTER TABLE payments ADD COLUMN confirmed BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE payments ADD COLUMN added_by_org_id VARCHAR(26) NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN confirmed_by_org_id VARCHAR(26) NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN confirmed_at DATETIME(6) NULL;
UPDATE payments SET confirmed = TRUE, confirmed_at = created_at;
UPDATE payments SET added_by_org_id = COALESCE(
    (SELECT u.org_id FROM users u WHERE u.id = payments.created_by_user_id), '');

-- booked_fen sums every payment, confirmed or not: the contract amount
-- bounds it. paid_fen stays the sum of confirmed payments, which before
-- this migration were all of them.
ALTER TABLE transactions ADD COLUMN booked_fen BIGINT NOT NULL DEFAULT 0;
UPDATE transactions SET booked_fen = paid_fen;

-- Contract, registration and voucher numbers are compared in their folded
-- form (NFKC, upper case, spaces collapsed: market.FoldNo), kept in the
-- *_key columns that now carry the unique indexes; the number columns
-- keep the number as first entered, which answers show. Rows from before
-- were stored upper-cased and collapsed already, so their number is their
-- key (full-width characters among them stay unfolded: SQL has no NFKC).
ALTER TABLE transactions ADD COLUMN contract_key VARCHAR(64) /*! COLLATE utf8mb4_bin */ NOT NULL DEFAULT '';
UPDATE transactions SET contract_key = contract_no;
CREATE UNIQUE INDEX transactions_contract_key ON transactions (contract_key);
DROP INDEX transactions_contract_no /*! ON transactions */;
ALTER TABLE transactions ADD COLUMN registration_key VARCHAR(64) /*! COLLATE utf8mb4_bin */ NULL;
UPDATE transactions SET registration_key = registration_no;
CREATE UNIQUE INDEX transactions_registration_key ON transactions (registration_key);
DROP INDEX transactions_registration_no /*! ON transactions */;
ALTER TABLE payments ADD COLUMN voucher_key VARCHAR(64) /*! COLLATE utf8mb4_bin */ NOT NULL DEFAULT '';
UPDATE payments SET voucher_key = voucher_no;
CREATE UNIQUE INDEX payments_voucher_key ON payments (transaction_id, voucher_key);
DROP INDEX payments_voucher /*! ON payments */;

-- Trust between instances: with a shared database and no
-- TECHMARKET_JWT_SECRET, the access-token signing keys live here. The
-- newest (largest id) signs; every key verifies until it is retired by a
-- later rotation. The first key has a fixed id, so instances that start
-- together on an empty table insert the same row and one insert wins.
CREATE TABLE signing_keys (
    id         VARCHAR(26)  NOT NULL PRIMARY KEY,
    secret     VARCHAR(128) NOT NULL,
    created_at DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;

-- +goose Down
CREATE UNIQUE INDEX payments_voucher ON payments (transaction_id, voucher_no);
DROP INDEX payments_voucher_key /*! ON payments */;
ALTER TABLE payments DROP COLUMN voucher_key;
CREATE UNIQUE INDEX transactions_registration_no ON transactions (registration_no);
DROP INDEX transactions_registration_key /*! ON transactions */;
ALTER TABLE transactions DROP COLUMN registration_key;
CREATE UNIQUE INDEX transactions_contract_no ON transactions (contract_no);
DROP INDEX transactions_contract_key /*! ON transactions */;
ALTER TABLE transactions DROP COLUMN contract_key;
DROP TABLE signing_keys;
-- The status column stays VARCHAR(32) on MySQL: narrowing it would fail on
-- any pending deal.
ALTER TABLE transactions DROP COLUMN booked_fen;
ALTER TABLE payments DROP COLUMN confirmed_at;
ALTER TABLE payments DROP COLUMN confirmed_by_org_id;
ALTER TABLE payments DROP COLUMN added_by_org_id;
ALTER TABLE payments DROP COLUMN confirmed;
