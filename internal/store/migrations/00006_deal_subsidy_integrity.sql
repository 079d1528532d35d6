-- +goose Up
-- Integrity of deals and their subsidies. Same portable style as 00001.

-- intent_key is the deal's intent_id when it grew from an intent and NULL
-- otherwise: the unique index lets an accepted intent become at most one
-- transaction, and any number of deals name no intent (NULLs never
-- collide). intent_id itself stays as it was ('' for none). Deals logged
-- before this migration that share an intent keep it, but only the first
-- of them (smallest id) holds the key, so the index can be built.
ALTER TABLE transactions ADD COLUMN intent_key VARCHAR(26) NULL;
UPDATE transactions SET intent_key = intent_id
 WHERE intent_id <> ''
   AND id IN (SELECT id FROM (SELECT MIN(id) AS id FROM transactions
                               WHERE intent_id <> '' GROUP BY intent_id) AS firsts);
CREATE UNIQUE INDEX transactions_intent ON transactions (intent_key);

-- What a disbursement actually paid: the smaller of the approved amount and
-- the amount recomputed at disbursement (a certified tech amount registered
-- after approval can lower it), with the quote it computed. Applications
-- disbursed before this migration paid their approved amount.
ALTER TABLE subsidy_applications ADD COLUMN disbursed_amount_fen BIGINT NOT NULL DEFAULT 0;
ALTER TABLE subsidy_applications ADD COLUMN disbursement_breakdown TEXT NULL;
UPDATE subsidy_applications SET disbursed_amount_fen = approved_amount_fen WHERE status = 'disbursed';

-- +goose Down
ALTER TABLE subsidy_applications DROP COLUMN disbursement_breakdown;
ALTER TABLE subsidy_applications DROP COLUMN disbursed_amount_fen;
DROP INDEX transactions_intent /*! ON transactions */;
ALTER TABLE transactions DROP COLUMN intent_key;
