-- +goose Up
-- Catalogs (目录): editions of demands or achievements compiled by a market
-- operator. Publishing copies the matching items into catalog_items, so a
-- published catalog keeps the text it had at publish whatever happens to
-- the items later. Portable types only, as in 00001.
CREATE TABLE catalogs (
    id           VARCHAR(26)  NOT NULL PRIMARY KEY,
    kind         VARCHAR(16)  NOT NULL,
    title        VARCHAR(400) NOT NULL,
    period       VARCHAR(10)  NOT NULL,
    industries   TEXT         NOT NULL,
    region_codes TEXT         NOT NULL,
    status       VARCHAR(16)  NOT NULL,
    market       VARCHAR(16)  NOT NULL,
    org_id       VARCHAR(26)  NOT NULL,
    created_by   VARCHAR(26)  NOT NULL DEFAULT '',
    item_count   INT          NOT NULL DEFAULT 0,
    published_at DATETIME(6)  NULL,
    created_at   DATETIME(6)  NOT NULL,
    updated_at   DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX catalogs_status ON catalogs (status, id);
CREATE INDEX catalogs_kind_period ON catalogs (kind, period, status, id);

-- One row per item of a published catalog, in catalog order (seq). Exports
-- read it in batches by (catalog_id, seq), the primary key.
CREATE TABLE catalog_items (
    catalog_id       VARCHAR(26)  NOT NULL,
    seq              INT          NOT NULL,
    item_id          VARCHAR(26)  NOT NULL,
    kind             VARCHAR(16)  NOT NULL,
    org_id           VARCHAR(26)  NOT NULL,
    org_name         VARCHAR(200) NOT NULL,
    title            VARCHAR(400) NOT NULL,
    body             TEXT         NOT NULL,
    industry         VARCHAR(32)  NOT NULL,
    keywords         TEXT         NOT NULL,
    modes            TEXT         NOT NULL,
    region_code      VARCHAR(6)   NOT NULL,
    budget_min_fen   BIGINT       NOT NULL DEFAULT 0,
    budget_max_fen   BIGINT       NOT NULL DEFAULT 0,
    deadline         VARCHAR(10)  NOT NULL DEFAULT '',
    maturity         VARCHAR(16)  NOT NULL DEFAULT '',
    asking_price_fen BIGINT       NOT NULL DEFAULT 0,
    patent_numbers   TEXT         NOT NULL,
    inventors        TEXT         NOT NULL,
    published_at     DATETIME(6)  NULL,
    PRIMARY KEY (catalog_id, seq)
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX catalog_items_item ON catalog_items (catalog_id, item_id);

-- +goose Down
DROP TABLE catalog_items;
DROP TABLE catalogs;
