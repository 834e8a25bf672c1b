-- No unique constraint on purpose: a duplicated effect must be countable.
CREATE TABLE effects (
    n          bigserial PRIMARY KEY,
    item_id    integer NOT NULL,
    event_id   uuid NOT NULL,
    handled_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
