-- Hummingbird's core schema: the directory, orders with their event log and assignments,
-- payment-event dedupe, idempotency keys and leases. docs/storage.md explains each table
-- and which invariant it enforces. Later migrations are numbered 00002 and up.

-- +goose Up
CREATE TABLE merchants (
    id             text COLLATE "C" PRIMARY KEY,
    name           text NOT NULL,
    -- Hex SHA-256 of the API key (the key itself is never stored); NULL: no key.
    api_key_hash   text UNIQUE,
    webhook_url    text NOT NULL DEFAULT '',
    -- Needed in clear to sign outgoing webhooks.
    webhook_secret text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL
);

CREATE TABLE stations (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    -- The zone polygon as [{"lat":…,"lng":…}, …]; the engine covers it with H3 cells.
    zone       jsonb NOT NULL,
    -- The franchise window in nanoseconds; 0: the engine's default.
    window_ns  bigint NOT NULL DEFAULT 0 CHECK (window_ns >= 0),
    created_at timestamptz NOT NULL
);

CREATE TABLE couriers (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    kind       text NOT NULL,
    station_id text NOT NULL DEFAULT '',
    vehicle    text NOT NULL,
    capacity   integer NOT NULL,
    -- Hex SHA-256 of the bearer token; NULL: no token.
    token_hash text UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE service_areas (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    polygon    jsonb NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE orders (
    id               text COLLATE "C" PRIMARY KEY,
    merchant_id      text COLLATE "C" NOT NULL,
    shop_id          text NOT NULL DEFAULT '',
    external_ref     text NOT NULL DEFAULT '',
    state            text NOT NULL CHECK (state IN ('pending_payment', 'paid', 'dispatching', 'assigned',
                         'at_pickup', 'picked_up', 'at_dropoff', 'delivered', 'canceled', 'expired', 'failed')),
    -- Every write is conditional on version (compare-and-swap).
    version          bigint NOT NULL,
    seq              bigint NOT NULL,
    pickup           jsonb NOT NULL,
    dropoff          jsonb NOT NULL,
    units            integer NOT NULL,
    value_cents      bigint NOT NULL,
    fee_cents        bigint NOT NULL,
    currency         text NOT NULL,
    station_id       text NOT NULL DEFAULT '',
    courier_id       text NOT NULL DEFAULT '',
    escalation       jsonb NOT NULL,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz,
    ready_at         timestamptz,
    promised_at      timestamptz,
    paid_at          timestamptz,
    assigned_at      timestamptz,
    picked_up_at     timestamptz,
    delivered_at     timestamptz,
    closed_at        timestamptz,
    payment_intent   text NOT NULL DEFAULT '',
    refund_requested boolean NOT NULL DEFAULT false,
    refunded         boolean NOT NULL DEFAULT false,
    handoff_code     text NOT NULL DEFAULT '',
    handoff_failures integer NOT NULL DEFAULT 0,
    -- The tracking link's capability; NULL: none.
    track_token      text UNIQUE
);
-- A merchant's orders page by id.
CREATE INDEX orders_merchant_id ON orders (merchant_id, id);
-- OpenOrders at start: only orders not in a terminal state.
CREATE INDEX orders_open ON orders (id) WHERE state NOT IN ('delivered', 'canceled', 'expired', 'failed');

-- The database refuses an order write that does not step the version by exactly one,
-- whoever sends it: a writer working from a stale read cannot overwrite a newer order.
-- +goose StatementBegin
CREATE FUNCTION orders_version_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.version <> OLD.version + 1 THEN
        RAISE EXCEPTION 'order %: version % does not follow stored version %', OLD.id, NEW.version, OLD.version
            USING ERRCODE = 'HB001';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER orders_version_step BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION orders_version_step();

CREATE TABLE order_events (
    -- Global order of commit: writers take a transaction-scoped advisory lock before
    -- inserting, so ids become visible in increasing order (the webhook outbox reads by id).
    id         bigserial PRIMARY KEY,
    order_id   text NOT NULL REFERENCES orders (id),
    seq        bigint NOT NULL,
    type       text NOT NULL,
    state      text NOT NULL,
    at         timestamptz NOT NULL,
    cause      text NOT NULL DEFAULT '',
    courier_id text NOT NULL DEFAULT '',
    UNIQUE (order_id, seq)
);

CREATE TABLE assignments (
    id          bigserial PRIMARY KEY,
    order_id    text NOT NULL REFERENCES orders (id),
    courier_id  text NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    ended_at    timestamptz,
    -- The order's state when the assignment ended (delivered, canceled, …).
    end_state   text,
    CHECK (active = (ended_at IS NULL))
);
-- At most one courier works on an order at any time, whatever the code does.
CREATE UNIQUE INDEX assignments_one_active ON assignments (order_id) WHERE active;
CREATE INDEX assignments_courier_active ON assignments (courier_id) WHERE active;

-- At commit, an order in an active state (assigned … at_dropoff) has exactly the active
-- assignment of its courier, and any other order has none: the order row and the
-- assignments table cannot disagree, however the rows were written.
-- +goose StatementBegin
CREATE FUNCTION orders_assignment_agrees() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o_state   text;
    o_courier text;
    a_courier text;
BEGIN
    SELECT state, courier_id INTO o_state, o_courier FROM orders WHERE id = NEW.id;
    SELECT courier_id INTO a_courier FROM assignments WHERE order_id = NEW.id AND active;
    IF o_state IN ('assigned', 'at_pickup', 'picked_up', 'at_dropoff') THEN
        IF a_courier IS DISTINCT FROM o_courier THEN
            RAISE EXCEPTION 'order % is % for courier % but its active assignment is %', NEW.id, o_state,
                o_courier, coalesce(a_courier, 'missing') USING ERRCODE = 'HB002';
        END IF;
    ELSIF a_courier IS NOT NULL THEN
        RAISE EXCEPTION 'order % is % but still assigned to %', NEW.id, o_state, a_courier
            USING ERRCODE = 'HB002';
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE CONSTRAINT TRIGGER orders_assignment_agrees AFTER INSERT OR UPDATE ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_assignment_agrees();

CREATE TABLE payment_events (
    -- The payment provider's event id: applied at most once.
    id          text COLLATE "C" PRIMARY KEY,
    order_id    text,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL,
    fingerprint  text NOT NULL,
    done         boolean NOT NULL DEFAULT false,
    status       integer NOT NULL DEFAULT 0,
    content_type text NOT NULL DEFAULT '',
    body         bytea,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

CREATE TABLE leases (
    name       text PRIMARY KEY,
    -- Empty once released.
    holder     text NOT NULL,
    addr       text NOT NULL DEFAULT '',
    -- Increases whenever the lease passes to another holder: the fencing token.
    epoch      bigint NOT NULL CHECK (epoch > 0),
    -- Judged by the database's clock (now()), never a server's.
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE leases;
DROP TABLE idempotency_keys;
DROP TABLE payment_events;
DROP TABLE assignments;
DROP TABLE order_events;
DROP TABLE orders;
DROP FUNCTION orders_assignment_agrees();
DROP FUNCTION orders_version_step();
DROP TABLE service_areas;
DROP TABLE couriers;
DROP TABLE stations;
DROP TABLE merchants;
