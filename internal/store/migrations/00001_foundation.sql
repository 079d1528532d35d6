-- +goose Up
-- One schema for SQLite and MySQL/MariaDB: portable types only. Table
-- options inside /*! */ are executed by MySQL and read as a comment by SQLite.
CREATE TABLE orgs (
    id            VARCHAR(26)  NOT NULL PRIMARY KEY,
    kind          VARCHAR(16)  NOT NULL,
    name          VARCHAR(200) NOT NULL,
    credit_code   VARCHAR(18)  NOT NULL,
    region_code   VARCHAR(6)   NOT NULL,
    market        VARCHAR(16)  NOT NULL DEFAULT '',
    contact_name  VARCHAR(100) NOT NULL DEFAULT '',
    contact_phone VARCHAR(32)  NOT NULL DEFAULT '',
    verified      BOOLEAN      NOT NULL DEFAULT FALSE,
    verified_at   DATETIME(6)  NULL,
    created_at    DATETIME(6)  NOT NULL,
    updated_at    DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX orgs_credit_code ON orgs (credit_code);
CREATE INDEX orgs_kind ON orgs (kind, id);

CREATE TABLE users (
    id             VARCHAR(26)  NOT NULL PRIMARY KEY,
    org_id         VARCHAR(26)  NULL,
    account        VARCHAR(254) NOT NULL,
    password_hash  VARCHAR(100) NOT NULL,
    name           VARCHAR(100) NOT NULL,
    role           VARCHAR(16)  NOT NULL,
    platform_admin BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at     DATETIME(6)  NOT NULL,
    updated_at     DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX users_account ON users (account);
CREATE INDEX users_org ON users (org_id, id);

-- A session is one login. Its refresh token is stored only as a hash and
-- rotates on every refresh; access tokens name the session.
CREATE TABLE sessions (
    id           VARCHAR(26) NOT NULL PRIMARY KEY,
    user_id      VARCHAR(26) NOT NULL,
    refresh_hash VARCHAR(64) NOT NULL,
    expires_at   DATETIME(6) NOT NULL,
    revoked_at   DATETIME(6) NULL,
    created_at   DATETIME(6) NOT NULL,
    updated_at   DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX sessions_refresh_hash ON sessions (refresh_hash);
CREATE INDEX sessions_revoked ON sessions (revoked_at);

-- Demands and achievements share one lifecycle and one table.
CREATE TABLE items (
    id               VARCHAR(26)  NOT NULL PRIMARY KEY,
    kind             VARCHAR(16)  NOT NULL,
    org_id           VARCHAR(26)  NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    title            VARCHAR(400) NOT NULL,
    body             TEXT         NOT NULL,
    industry         VARCHAR(32)  NOT NULL,
    keywords         TEXT         NOT NULL,
    modes            TEXT         NOT NULL,
    region_code      VARCHAR(6)   NOT NULL,
    contact_name     VARCHAR(100) NOT NULL DEFAULT '',
    contact_phone    VARCHAR(32)  NOT NULL DEFAULT '',
    budget_min_fen   BIGINT       NOT NULL DEFAULT 0,
    budget_max_fen   BIGINT       NOT NULL DEFAULT 0,
    deadline         VARCHAR(10)  NOT NULL DEFAULT '',
    maturity         VARCHAR(16)  NOT NULL DEFAULT '',
    asking_price_fen BIGINT       NOT NULL DEFAULT 0,
    patent_numbers   TEXT         NOT NULL,
    inventors        TEXT         NOT NULL,
    rejection_reason TEXT         NOT NULL,
    submitted_at     DATETIME(6)  NULL,
    published_at     DATETIME(6)  NULL,
    closed_at        DATETIME(6)  NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX items_kind_status ON items (kind, status, id);
CREATE INDEX items_kind_org ON items (kind, org_id, id);
CREATE INDEX items_kind_industry ON items (kind, industry, status, id);
CREATE INDEX items_kind_region ON items (kind, region_code, status, id);

-- The audit trail is append-only and hash-chained. audit_head holds the
-- chain's tip; appending locks it, so events are numbered without gaps.
CREATE TABLE audit_events (
    id            VARCHAR(26) NOT NULL PRIMARY KEY,
    seq           BIGINT      NOT NULL,
    actor_user_id VARCHAR(26) NOT NULL DEFAULT '',
    actor_org_id  VARCHAR(26) NOT NULL DEFAULT '',
    action        VARCHAR(32) NOT NULL,
    entity        VARCHAR(32) NOT NULL,
    entity_id     VARCHAR(26) NOT NULL,
    before_json   LONGTEXT    NOT NULL,
    after_json    LONGTEXT    NOT NULL,
    at            DATETIME(6) NOT NULL,
    prev_hash     VARCHAR(64) NOT NULL,
    hash          VARCHAR(64) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX audit_events_seq ON audit_events (seq);
CREATE INDEX audit_events_entity ON audit_events (entity, entity_id, seq);

CREATE TABLE audit_head (
    id   INT         NOT NULL PRIMARY KEY,
    seq  BIGINT      NOT NULL,
    hash VARCHAR(64) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- +goose Down
DROP TABLE audit_head;
DROP TABLE audit_events;
DROP TABLE items;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE orgs;
