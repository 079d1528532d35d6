-- +goose Up
-- Each claim of search outbox rows carries a token, and finishing or
-- releasing rows checks it: a worker whose lease ran out, and whose rows
-- another worker has claimed since, can no longer delete or reschedule
-- them.
ALTER TABLE search_outbox ADD COLUMN claim_token VARCHAR(26) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE search_outbox DROP COLUMN claim_token;
