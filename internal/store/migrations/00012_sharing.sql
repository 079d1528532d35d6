-- +goose Up
-- Instrument sharing, testing services and innovation vouchers (SPEC
-- "Instruments and testing services"). Same portable style as 00001; this
-- file assumes nothing of the migrations between 00010 and itself.

-- open_hours is a JSON array of {weekday, from, to} in Beijing time.
-- rating_sum / rating_count and booking_count (completed bookings) change
-- under the instrument's row lock, which every booking write takes first.
CREATE TABLE instruments (
    id                  VARCHAR(26)  NOT NULL PRIMARY KEY,
    org_id              VARCHAR(26)  NOT NULL,
    name                VARCHAR(400) NOT NULL,
    model               VARCHAR(400) NOT NULL DEFAULT '',
    category            VARCHAR(32)  NOT NULL,
    description         TEXT         NOT NULL,
    region_code         VARCHAR(6)   NOT NULL,
    location            VARCHAR(1000) NOT NULL DEFAULT '',
    fee_per_hour_fen    BIGINT       NOT NULL,
    min_booking_minutes INT          NOT NULL,
    open_hours          TEXT         NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    rating_sum          BIGINT       NOT NULL DEFAULT 0,
    rating_count        BIGINT       NOT NULL DEFAULT 0,
    booking_count       BIGINT       NOT NULL DEFAULT 0,
    created_at          DATETIME(6)  NOT NULL,
    updated_at          DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX instruments_org ON instruments (org_id, id);
CREATE INDEX instruments_category ON instruments (category, id);

-- Two bookings of one instrument that overlap in time are never both
-- requested or confirmed: a booking is inserted in the transaction that
-- holds the instrument's row lock (SELECT ... FOR UPDATE; SQLite has one
-- writer) after checking the holding bookings in its span, through this
-- index.
CREATE TABLE bookings (
    id                 VARCHAR(26) NOT NULL PRIMARY KEY,
    instrument_id      VARCHAR(26) NOT NULL,
    owner_org_id       VARCHAR(26) NOT NULL,
    booker_org_id      VARCHAR(26) NOT NULL,
    starts_at          DATETIME(6) NOT NULL,
    ends_at            DATETIME(6) NOT NULL,
    purpose            TEXT        NOT NULL,
    samples            TEXT        NOT NULL,
    status             VARCHAR(16) NOT NULL,
    used_minutes       INT         NULL,
    fee_fen            BIGINT      NULL,
    decline_reason     TEXT        NOT NULL,
    rating             INT         NULL,
    comment            TEXT        NOT NULL,
    confirmed_at       DATETIME(6) NULL,
    completed_at       DATETIME(6) NULL,
    cancelled_at       DATETIME(6) NULL,
    reviewed_at        DATETIME(6) NULL,
    created_by_user_id VARCHAR(26) NOT NULL DEFAULT '',
    created_at         DATETIME(6) NOT NULL,
    updated_at         DATETIME(6) NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX bookings_slot ON bookings (instrument_id, status, starts_at);
CREATE INDEX bookings_booker ON bookings (booker_org_id, id);
CREATE INDEX bookings_owner ON bookings (owner_org_id, id);
CREATE INDEX bookings_completed ON bookings (status, completed_at);

CREATE TABLE services (
    id              VARCHAR(26)  NOT NULL PRIMARY KEY,
    org_id          VARCHAR(26)  NOT NULL,
    name            VARCHAR(400) NOT NULL,
    kind            VARCHAR(32)  NOT NULL,
    description     TEXT         NOT NULL,
    price_fen       BIGINT       NOT NULL,
    unit            VARCHAR(80)  NOT NULL,
    turnaround_days INT          NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    updated_at      DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX services_org ON services (org_id, id);
CREATE INDEX services_kind ON services (kind, id);

-- The report lives in the evidence file store, named by its SHA-256.
CREATE TABLE service_orders (
    id                  VARCHAR(26)  NOT NULL PRIMARY KEY,
    service_id          VARCHAR(26)  NOT NULL,
    provider_org_id     VARCHAR(26)  NOT NULL,
    client_org_id       VARCHAR(26)  NOT NULL,
    quantity            BIGINT       NOT NULL,
    price_fen           BIGINT       NOT NULL,
    fee_fen             BIGINT       NOT NULL,
    note                TEXT         NOT NULL,
    status              VARCHAR(16)  NOT NULL,
    decline_reason      TEXT         NOT NULL,
    report_filename     VARCHAR(800) NOT NULL DEFAULT '',
    report_size         BIGINT       NOT NULL DEFAULT 0,
    report_content_type VARCHAR(100) NOT NULL DEFAULT '',
    report_sha256       VARCHAR(64)  NOT NULL DEFAULT '',
    created_by_user_id  VARCHAR(26)  NOT NULL DEFAULT '',
    accepted_at         DATETIME(6)  NULL,
    delivered_at        DATETIME(6)  NULL,
    completed_at        DATETIME(6)  NULL,
    cancelled_at        DATETIME(6)  NULL,
    created_at          DATETIME(6)  NOT NULL,
    updated_at          DATETIME(6)  NOT NULL
) /*! ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci */;
CREATE INDEX service_orders_client ON service_orders (client_org_id, id);
CREATE INDEX service_orders_provider ON service_orders (provider_org_id, id);
CREATE INDEX service_orders_completed ON service_orders (status, completed_at);

-- Innovation vouchers (创新券) are subsidy policies that apply to the fee
-- of a completed booking or service order. A voucher application names
-- its booking or order and leaves transaction_id empty; its
-- live_transaction_id holds the booking's or order's id while live (ULIDs
-- never collide across tables), so the one-live-application rule is the
-- same unique index.
ALTER TABLE subsidy_policies ADD COLUMN applies_to VARCHAR(16) NOT NULL DEFAULT 'transaction';
ALTER TABLE subsidy_applications ADD COLUMN booking_id VARCHAR(26) NOT NULL DEFAULT '';
ALTER TABLE subsidy_applications ADD COLUMN service_order_id VARCHAR(26) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE subsidy_applications DROP COLUMN service_order_id;
ALTER TABLE subsidy_applications DROP COLUMN booking_id;
ALTER TABLE subsidy_policies DROP COLUMN applies_to;
DROP TABLE service_orders;
DROP TABLE services;
DROP TABLE bookings;
DROP TABLE instruments;
