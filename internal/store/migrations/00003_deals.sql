-- +goose Up
-- Deals: intents, transactions, their payments and evidence files. Same
-- portable style as 00001; contract, registration and voucher numbers are
-- compared byte for byte on MySQL too (COLLATE inside /*! */), as on
-- SQLite, after the service has normalised them.

-- pending_key is "<from_org_id>:<item_id>" while the intent is pending and
-- NULL afterwards: the unique index allows one pending intent per org and
-- item, and any number of decided ones (NULLs never collide).
CREATE TABLE intents (
    id          VARCHAR(26)  NOT NULL PRIMARY KEY,
    from_org_id VARCHAR(26)  NOT NULL,
    to_org_id   VARCHAR(26)  NOT NULL,
    item_kind   VARCHAR(16)  NOT NULL,
    item_id     VARCHAR(26)  NOT NULL,
    message     TEXT         NOT NULL,
    status      VARCHAR(16)  NOT NULL,
    pending_key VARCHAR(60)  NULL,
    reason_code VARCHAR(16)  NOT NULL DEFAULT '',
    reason      TEXT         NOT NULL,
    decided_at  DATETIME(6)  NULL,
    created_at  DATETIME(6)  NOT NULL,
    updated_at  DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX intents_pending_key ON intents (pending_key);
CREATE INDEX intents_from ON intents (from_org_id, status, id);
CREATE INDEX intents_to ON intents (to_org_id, status, id);

-- tech_amount_fen is the amount in force: the certified one once the
-- contract is registered with one, the declared one before. paid_fen is the
-- sum of the deal's payments, kept under the deal's row lock.
CREATE TABLE transactions (
    id                        VARCHAR(26)  NOT NULL PRIMARY KEY,
    market                    VARCHAR(16)  NOT NULL,
    channel                   VARCHAR(16)  NOT NULL,
    contract_type             VARCHAR(16)  NOT NULL,
    contract_no               VARCHAR(64) /*! COLLATE utf8mb4_bin */ NOT NULL,
    title                     VARCHAR(400) NOT NULL,
    buyer_org_id              VARCHAR(26)  NOT NULL,
    seller_org_id             VARCHAR(26)  NOT NULL,
    achievement_id            VARCHAR(26)  NOT NULL DEFAULT '',
    demand_id                 VARCHAR(26)  NOT NULL DEFAULT '',
    intent_id                 VARCHAR(26)  NOT NULL DEFAULT '',
    contract_amount_fen       BIGINT       NOT NULL,
    declared_tech_amount_fen  BIGINT       NOT NULL,
    tech_amount_fen           BIGINT       NOT NULL,
    certified_tech_amount_fen BIGINT       NULL,
    paid_fen                  BIGINT       NOT NULL DEFAULT 0,
    status                    VARCHAR(16)  NOT NULL,
    signed_at                 DATETIME(6)  NOT NULL,
    registration_no           VARCHAR(64) /*! COLLATE utf8mb4_bin */ NULL,
    registered_at             DATETIME(6)  NULL,
    completed_at              DATETIME(6)  NULL,
    cancelled_at              DATETIME(6)  NULL,
    cancel_reason             TEXT         NOT NULL,
    created_by_org_id         VARCHAR(26)  NOT NULL,
    created_at                DATETIME(6)  NOT NULL,
    updated_at                DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX transactions_contract_no ON transactions (contract_no);
CREATE UNIQUE INDEX transactions_registration_no ON transactions (registration_no);
CREATE INDEX transactions_market ON transactions (market, status, id);
CREATE INDEX transactions_buyer ON transactions (buyer_org_id, id);
CREATE INDEX transactions_seller ON transactions (seller_org_id, id);
CREATE INDEX transactions_signed ON transactions (signed_at);
CREATE INDEX transactions_achievement ON transactions (achievement_id);

CREATE TABLE payments (
    id                 VARCHAR(26) NOT NULL PRIMARY KEY,
    transaction_id     VARCHAR(26) NOT NULL,
    amount_fen         BIGINT      NOT NULL,
    paid_at            DATETIME(6) NOT NULL,
    voucher_no         VARCHAR(64) /*! COLLATE utf8mb4_bin */ NOT NULL,
    created_by_user_id VARCHAR(26) NOT NULL DEFAULT '',
    created_at         DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX payments_voucher ON payments (transaction_id, voucher_no);

-- Evidence rows name files kept outside the database by content hash.
CREATE TABLE transaction_evidence (
    id                  VARCHAR(26)  NOT NULL PRIMARY KEY,
    transaction_id      VARCHAR(26)  NOT NULL,
    kind                VARCHAR(16)  NOT NULL,
    filename            VARCHAR(255) NOT NULL,
    size                BIGINT       NOT NULL,
    content_type        VARCHAR(100) NOT NULL,
    sha256              VARCHAR(64)  NOT NULL,
    uploaded_by_user_id VARCHAR(26)  NOT NULL DEFAULT '',
    created_at          DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX transaction_evidence_transaction ON transaction_evidence (transaction_id, id);

-- +goose Down
DROP TABLE transaction_evidence;
DROP TABLE payments;
DROP TABLE transactions;
DROP TABLE intents;
