-- The offers journal (OfferJournal, docs/storage.md): a durable record of every offer the
-- dispatcher made and how it ended. The engine keeps open offers in memory only and does
-- not need them to recover; this table is for operators and audits, written after the
-- fact by one goroutine on the leader.

-- +goose Up
CREATE TABLE offers (
    id          text COLLATE "C" PRIMARY KEY,
    -- dispatch.OfferKind: 'assign' or 'broadcast'.
    kind        text NOT NULL,
    courier_id  text COLLATE "C" NOT NULL,
    -- The orders of the job (several for a bundle).
    order_ids   text[] NOT NULL,
    pay_cents   bigint NOT NULL,
    distance_m  double precision NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    -- NULL while open. An open offer past expires_at has expired (judged when read, by
    -- the database's clock); nothing writes that outcome.
    closed_at   timestamptz,
    outcome     text CHECK (outcome IN ('accepted', 'declined', 'withdrawn')),
    -- Why a withdrawn offer was withdrawn, as the engine said it ('expired', 'taken by
    -- another courier', 'order canceled', …).
    reason      text NOT NULL DEFAULT '',
    CHECK ((outcome IS NULL) = (closed_at IS NULL))
);
-- The offers of an order.
CREATE INDEX offers_orders ON offers USING gin (order_ids);
-- The offers of a courier by time; also finds a courier's open offers of an order when an
-- accept or a decline closes them.
CREATE INDEX offers_courier ON offers (courier_id, created_at);

-- +goose Down
DROP TABLE offers;
