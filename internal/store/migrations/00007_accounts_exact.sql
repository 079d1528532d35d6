-- +goose Up
-- Accounts compare exactly on both databases. The service normalises an
-- account before it stores or looks one up (market.NormalizeAccount:
-- trimmed, an email lower-cased), so "CaseTest@example.com" and
-- "casetest@example.com" are one account everywhere. Until now MySQL
-- compared users.account under utf8mb4_unicode_ci (case-insensitive) and
-- SQLite byte for byte, and nothing normalised.
--
-- On MySQL the column becomes utf8mb4_bin (the statement sits in /*! */,
-- which SQLite reads as a comment). Accents and case no longer fold there:
-- accounts that were unique under the old collation stay unique.
/*! ALTER TABLE users MODIFY account VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL */;

-- Lower-case the email accounts stored so far, as sign-in will now spell
-- them. MySQL's unique index was case-insensitive, so no two of its
-- accounts differ only in case; SQLite's was not, so of accounts that fold
-- to the same address only one may take it: the one already in lower case,
-- else the oldest (smallest id). The others keep their spelling, and the
-- bystander table avoids an UPDATE that reads its own table (MySQL refuses
-- that, error 1093). SQLite's LOWER folds ASCII letters only, as email
-- addresses of this market are written.
CREATE TABLE account_folds (
    id      VARCHAR(26)  NOT NULL PRIMARY KEY,
    account VARCHAR(254) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin */;
INSERT INTO account_folds (id, account)
SELECT MIN(id), LOWER(account) FROM users
WHERE account LIKE '%@%'
GROUP BY LOWER(account)
HAVING SUM(CASE WHEN account = LOWER(account) THEN 1 ELSE 0 END) = 0;
UPDATE users SET account = (SELECT f.account FROM account_folds f WHERE f.id = users.id)
WHERE id IN (SELECT id FROM account_folds);
DROP TABLE account_folds;

-- +goose Down
/*! ALTER TABLE users MODIFY account VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL */;
