-- +goose Up
-- The search outbox: a row per change to a listed item, written in the
-- same transaction as the change. Workers in every instance claim rows
-- with a lease (SKIP LOCKED on MySQL), apply them to the search engine and
-- delete them; a failure pushes available_at back with exponential backoff.
CREATE TABLE search_outbox (
    id           VARCHAR(26)  NOT NULL PRIMARY KEY,
    item_id      VARCHAR(26)  NOT NULL,
    kind         VARCHAR(16)  NOT NULL,
    attempts     INT          NOT NULL DEFAULT 0,
    available_at DATETIME(6)  NOT NULL,
    locked_until DATETIME(6)  NULL,
    last_error   VARCHAR(500) NOT NULL DEFAULT '',
    created_at   DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX search_outbox_available ON search_outbox (available_at, id);

-- +goose Down
DROP TABLE search_outbox;
