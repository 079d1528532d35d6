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

-- +goose Down
DROP INDEX transactions_intent /*! ON transactions */;
ALTER TABLE transactions DROP COLUMN intent_key;
