-- Who read a jobcoach's documents (an assessor, a DNV officer): one row per read, for the jobcoach's own
-- access log (recert_common.access_log, ADR 0020). The owner's own reads are not logged.
CREATE TABLE access_log (
    id          uuid PRIMARY KEY,
    owner_id    uuid NOT NULL,
    reader_id   uuid NOT NULL,
    reader_role text NOT NULL,
    kind        text NOT NULL,
    object_id   uuid NOT NULL,
    label       text,
    read_at     timestamptz NOT NULL
);
CREATE INDEX access_log_by_owner ON access_log (owner_id, read_at DESC);
