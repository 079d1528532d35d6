-- +goose Up
-- Purchase subsidies (技术交易后补助): the bureau's policies and buyers'
-- applications. Same portable style as 00001.

-- A policy's money rules, its budget and what is committed against it.
-- approved_fen and disbursed_fen change only under the policy's row lock
-- (SELECT ... FOR UPDATE) and by a conditional UPDATE that refuses to pass
-- budget_fen, so approvals on any number of instances never overspend.
-- lineage_id is the first version's id, shared by its later versions;
-- dates are YYYY-MM-DD text, which sorts as dates do.
CREATE TABLE subsidy_policies (
    id                      VARCHAR(26)  NOT NULL PRIMARY KEY,
    lineage_id              VARCHAR(26)  NOT NULL,
    supersedes              VARCHAR(26)  NOT NULL DEFAULT '',
    superseded_by           VARCHAR(26)  NOT NULL DEFAULT '',
    status                  VARCHAR(16)  NOT NULL,
    name                    VARCHAR(400) NOT NULL,
    year                    INT          NOT NULL,
    rate_bp                 BIGINT       NOT NULL DEFAULT 0,
    tiers                   TEXT         NOT NULL,
    per_transaction_cap_fen BIGINT       NOT NULL DEFAULT 0,
    annual_cap_per_org_fen  BIGINT       NOT NULL DEFAULT 0,
    budget_fen              BIGINT       NOT NULL,
    approved_fen            BIGINT       NOT NULL DEFAULT 0,
    disbursed_fen           BIGINT       NOT NULL DEFAULT 0,
    min_tech_amount_fen     BIGINT       NOT NULL DEFAULT 0,
    eligible_contract_types TEXT         NOT NULL,
    require_registered      BOOLEAN      NOT NULL DEFAULT FALSE,
    require_local_buyer     BOOLEAN      NOT NULL DEFAULT FALSE,
    base                    VARCHAR(16)  NOT NULL,
    auto_apply              BOOLEAN      NOT NULL DEFAULT FALSE,
    effective_from          VARCHAR(10)  NOT NULL,
    effective_to            VARCHAR(10)  NOT NULL,
    created_by_org_id       VARCHAR(26)  NOT NULL DEFAULT '',
    created_at              DATETIME(6)  NOT NULL,
    updated_at              DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX subsidy_policies_year ON subsidy_policies (year, id);
CREATE INDEX subsidy_policies_lineage ON subsidy_policies (lineage_id, year);
CREATE INDEX subsidy_policies_auto ON subsidy_policies (auto_apply, status, effective_from);

-- live_transaction_id is the transaction's id while the application is
-- submitted, approved or disbursed and NULL once rejected or withdrawn:
-- the unique index allows one live application per transaction and any
-- number of dead ones (NULLs never collide). breakdown is the quote frozen
-- at submission; approval_breakdown the one computed at approval.
CREATE TABLE subsidy_applications (
    id                   VARCHAR(26) NOT NULL PRIMARY KEY,
    policy_id            VARCHAR(26) NOT NULL,
    transaction_id       VARCHAR(26) NOT NULL,
    buyer_org_id         VARCHAR(26) NOT NULL,
    status               VARCHAR(16) NOT NULL,
    live_transaction_id  VARCHAR(26) NULL,
    amount_fen           BIGINT      NOT NULL,
    breakdown            TEXT        NOT NULL,
    auto_applied         BOOLEAN     NOT NULL DEFAULT FALSE,
    approved_amount_fen  BIGINT      NOT NULL DEFAULT 0,
    approval_breakdown   TEXT        NULL,
    approval_note        TEXT        NOT NULL,
    rejection_reason     TEXT        NOT NULL,
    voucher_no           VARCHAR(64) /*! COLLATE utf8mb4_bin */ NULL,
    submitted_by_user_id VARCHAR(26) NOT NULL DEFAULT '',
    reviewed_by_user_id  VARCHAR(26) NOT NULL DEFAULT '',
    reviewed_at          DATETIME(6) NULL,
    disbursed_at         DATETIME(6) NULL,
    withdrawn_at         DATETIME(6) NULL,
    created_at           DATETIME(6) NOT NULL,
    updated_at           DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX subsidy_applications_live ON subsidy_applications (live_transaction_id);
CREATE UNIQUE INDEX subsidy_applications_voucher ON subsidy_applications (voucher_no);
CREATE INDEX subsidy_applications_policy ON subsidy_applications (policy_id, status, id);
CREATE INDEX subsidy_applications_buyer ON subsidy_applications (buyer_org_id, status, id);
CREATE INDEX subsidy_applications_transaction ON subsidy_applications (transaction_id, id);

-- +goose Down
DROP TABLE subsidy_applications;
DROP TABLE subsidy_policies;
