-- The merchant webhook outbox (internal/webhook, docs/webhooks.md). order_events is the
-- outbox itself: Enqueue reads it past webhook_cursor, in id order (ids commit in order,
-- see 00001), and makes one delivery per event for merchants with a webhook URL.

-- +goose Up
-- One row: the highest order_events id already turned into deliveries. Enqueue locks it,
-- so concurrent Enqueues on several servers take turns.
CREATE TABLE webhook_cursor (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_event_id bigint NOT NULL
);
-- Start after the events that exist now: a database that gains webhooks does not send
-- its whole history (a merchant can still replay an order).
INSERT INTO webhook_cursor (last_event_id) SELECT coalesce(max(id), 0) FROM order_events;

CREATE TABLE webhook_deliveries (
    id          text COLLATE "C" PRIMARY KEY DEFAULT 'whd_' || replace(gen_random_uuid()::text, '-', ''),
    -- Creation order, the last tie break when listing and claiming.
    n           bigserial UNIQUE,
    event_id    bigint NOT NULL REFERENCES order_events (id),
    merchant_id text COLLATE "C" NOT NULL,
    order_id    text COLLATE "C" NOT NULL,
    replay      boolean NOT NULL DEFAULT false,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    tries       integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
    created_at  timestamptz NOT NULL,
    -- When a pending delivery is due; a claimed one is leased until then.
    next_at     timestamptz NOT NULL
);
-- Enqueue makes at most one delivery of an event, whoever runs it; replays make more.
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (event_id) WHERE NOT replay;
-- Claim: due pending deliveries, oldest due first (finished ones leave the index).
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_at, n) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (order_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id text COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    -- 1 for the first attempt of the delivery.
    n           integer NOT NULL CHECK (n > 0),
    at          timestamptz NOT NULL,
    -- The receiver's HTTP status; 0 when no answer came.
    status_code integer NOT NULL DEFAULT 0,
    error       text NOT NULL DEFAULT '',
    duration_ns bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (delivery_id, n)
);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_cursor;
