-- +goose Up
-- Price discovery: public notices (公示), listings (挂牌) and auctions
-- (竞价). Same portable style as 00001.

-- period_end is the instant the period is over (midnight in Beijing after
-- ends_on): the sweep that ends periods finds due notices by it.
CREATE TABLE notices (
    id               VARCHAR(26)  NOT NULL PRIMARY KEY,
    achievement_id   VARCHAR(26)  NOT NULL,
    seller_org_id    VARCHAR(26)  NOT NULL,
    kind             VARCHAR(16)  NOT NULL,
    price_fen        BIGINT       NOT NULL,
    buyer_org_id     VARCHAR(26)  NOT NULL DEFAULT '',
    starts_on        VARCHAR(10)  NOT NULL,
    ends_on          VARCHAR(10)  NOT NULL,
    period_end       DATETIME(6)  NOT NULL,
    note             TEXT         NOT NULL,
    status           VARCHAR(16)  NOT NULL,
    winner_org_id    VARCHAR(26)  NOT NULL DEFAULT '',
    auction_id       VARCHAR(26)  NOT NULL DEFAULT '',
    open_objections  INT          NOT NULL DEFAULT 0,
    application_count INT         NOT NULL DEFAULT 0,
    cancel_reason    TEXT         NOT NULL,
    completed_at     DATETIME(6)  NULL,
    cancelled_at     DATETIME(6)  NULL,
    created_at       DATETIME(6)  NOT NULL,
    updated_at       DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX notices_due ON notices (status, period_end);
CREATE INDEX notices_achievement ON notices (achievement_id, status);

CREATE TABLE notice_objections (
    id                 VARCHAR(26) NOT NULL PRIMARY KEY,
    notice_id          VARCHAR(26) NOT NULL,
    org_id             VARCHAR(26) NOT NULL,
    reason             TEXT        NOT NULL,
    status             VARCHAR(16) NOT NULL,
    resolution_note    TEXT        NOT NULL,
    resolved_by_org_id VARCHAR(26) NOT NULL DEFAULT '',
    resolved_at        DATETIME(6) NULL,
    created_at         DATETIME(6) NOT NULL,
    updated_at         DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX notice_objections_notice ON notice_objections (notice_id, id);

-- One application per org and notice.
CREATE TABLE notice_applications (
    id         VARCHAR(26) NOT NULL PRIMARY KEY,
    notice_id  VARCHAR(26) NOT NULL,
    org_id     VARCHAR(26) NOT NULL,
    message    TEXT        NOT NULL,
    created_at DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX notice_applications_org ON notice_applications (notice_id, org_id);

-- Bids lock the auction row and keep current_price_fen, bid_count and
-- the leader in it; event_seq numbers the auction's live feed and
-- registrations its bidders (bidder_no). winner_org_id is set by the
-- close, a conditional update on status.
CREATE TABLE auctions (
    id                     VARCHAR(26) NOT NULL PRIMARY KEY,
    achievement_id         VARCHAR(26) NOT NULL,
    seller_org_id          VARCHAR(26) NOT NULL,
    notice_id              VARCHAR(26) NOT NULL DEFAULT '',
    status                 VARCHAR(16) NOT NULL,
    starting_price_fen     BIGINT      NOT NULL,
    reserve_price_fen      BIGINT      NOT NULL,
    increment_fen          BIGINT      NOT NULL,
    deposit_fen            BIGINT      NOT NULL,
    current_price_fen      BIGINT      NOT NULL,
    bid_count              BIGINT      NOT NULL DEFAULT 0,
    registrations          INT         NOT NULL DEFAULT 0,
    event_seq              BIGINT      NOT NULL DEFAULT 0,
    leader_registration_id VARCHAR(26) NOT NULL DEFAULT '',
    leader_no              INT         NOT NULL DEFAULT 0,
    starts_at              DATETIME(6) NOT NULL,
    ends_at                DATETIME(6) NOT NULL,
    extend_seconds         INT         NOT NULL,
    winner_org_id          VARCHAR(26) NOT NULL DEFAULT '',
    closed_at              DATETIME(6) NULL,
    cancel_reason          TEXT        NOT NULL,
    created_at             DATETIME(6) NOT NULL,
    updated_at             DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX auctions_due ON auctions (status, ends_at);
CREATE INDEX auctions_achievement ON auctions (achievement_id, status);

CREATE TABLE auction_registrations (
    id              VARCHAR(26) NOT NULL PRIMARY KEY,
    auction_id      VARCHAR(26) NOT NULL,
    org_id          VARCHAR(26) NOT NULL,
    bidder_no       INT         NOT NULL,
    deposit_fen     BIGINT      NOT NULL,
    deposit_status  VARCHAR(16) NOT NULL,
    voucher_no      VARCHAR(64) NOT NULL DEFAULT '',
    deposit_paid_at DATETIME(6) NULL,
    created_at      DATETIME(6) NOT NULL,
    updated_at      DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX auction_registrations_org ON auction_registrations (auction_id, org_id);
CREATE UNIQUE INDEX auction_registrations_no ON auction_registrations (auction_id, bidder_no);

-- seq numbers the auction's accepted bids in commit order (they are made
-- under the auction's row lock).
CREATE TABLE auction_bids (
    id              VARCHAR(26) NOT NULL PRIMARY KEY,
    auction_id      VARCHAR(26) NOT NULL,
    seq             BIGINT      NOT NULL,
    registration_id VARCHAR(26) NOT NULL,
    org_id          VARCHAR(26) NOT NULL,
    bidder_no       INT         NOT NULL,
    amount_fen      BIGINT      NOT NULL,
    at              DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE UNIQUE INDEX auction_bids_seq ON auction_bids (auction_id, seq);

-- The live feed: seq is the SSE id a reconnecting client resumes after.
CREATE TABLE auction_events (
    auction_id VARCHAR(26) NOT NULL,
    seq        BIGINT      NOT NULL,
    type       VARCHAR(16) NOT NULL,
    data       TEXT        NOT NULL,
    at         DATETIME(6) NOT NULL,
    PRIMARY KEY (auction_id, seq)
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;

-- Deals that follow a notice or an auction name it.
ALTER TABLE transactions ADD COLUMN notice_id VARCHAR(26) NOT NULL DEFAULT '';
ALTER TABLE transactions ADD COLUMN auction_id VARCHAR(26) NOT NULL DEFAULT '';

-- +goose Down
/*! ALTER TABLE transactions DROP COLUMN auction_id */;
/*! ALTER TABLE transactions DROP COLUMN notice_id */;
DROP TABLE auction_events;
DROP TABLE auction_bids;
DROP TABLE auction_registrations;
DROP TABLE auctions;
DROP TABLE notice_applications;
DROP TABLE notice_objections;
DROP TABLE notices;
