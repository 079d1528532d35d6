-- +goose Up
-- Operators' synonym groups and the feedback orgs give on matches. Same
-- portable style as 00001.

-- terms is a JSON array of the group's terms as entered (trimmed).
CREATE TABLE synonym_groups (
    id         VARCHAR(64) NOT NULL PRIMARY KEY,
    terms      TEXT        NOT NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;

-- One row, bumped in the transaction of every put and delete of a group:
-- each instance polls this number to learn that the vocabulary changed,
-- deletions included, without reading the groups. Writers lock it first,
-- so changes to the vocabulary take turns.
CREATE TABLE vocabulary_version (
    id      INT    NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
INSERT INTO vocabulary_version (id, version) VALUES (1, 0);

-- One row per org and (source, target) pair: a second feedback by the
-- same org on the same pair replaces the first. The second index finds
-- the feedback given on a pair from the other side.
CREATE TABLE match_feedback (
    id          VARCHAR(26) NOT NULL PRIMARY KEY,
    source_kind VARCHAR(16) NOT NULL,
    source_id   VARCHAR(26) NOT NULL,
    target_id   VARCHAR(26) NOT NULL,
    useful      BOOLEAN     NOT NULL,
    org_id      VARCHAR(26) NOT NULL,
    user_id     VARCHAR(26) NOT NULL DEFAULT '',
    created_at  DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX match_feedback_pair ON match_feedback (source_kind, source_id, target_id, org_id);
CREATE INDEX match_feedback_target ON match_feedback (source_kind, target_id);

-- Match signals look up accepted intents by item and deals by demand on
-- every match request.
CREATE INDEX intents_item ON intents (item_id, status);
CREATE INDEX transactions_demand ON transactions (demand_id);

-- Synonym group ids are up to 64 characters and name their audit events;
-- ULIDs (26) were the longest entity ids so far. SQLite does not enforce
-- VARCHAR lengths.
/*! ALTER TABLE audit_events MODIFY entity_id VARCHAR(64) NOT NULL */;

-- +goose Down
/*! ALTER TABLE audit_events MODIFY entity_id VARCHAR(26) NOT NULL */;
-- MySQL's DROP INDEX needs ON <table>, which SQLite does not parse: the
-- two indexes are dropped on MySQL only (on SQLite they stay, harmless).
/*! DROP INDEX transactions_demand ON transactions */;
/*! DROP INDEX intents_item ON intents */;
DROP TABLE match_feedback;
DROP TABLE vocabulary_version;
DROP TABLE synonym_groups;
