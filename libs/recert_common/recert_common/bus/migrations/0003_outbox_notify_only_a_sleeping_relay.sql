-- Notify only while a relay sleeps (ADR 0036, amended in issue 16). PostgreSQL serialises the commits of
-- notifying transactions (one lock on the notification queue for the whole cluster), so a NOTIFY per
-- producing transaction cost the producers about a quarter of their commit rate, though a relay at work is
-- not listening but claiming the next batch.
--
-- A sleeping relay holds this advisory lock exclusively, for its session (RELAY_ASLEEP_LOCK in
-- recert_common.bus.relay: 0x6f7574626f78, "outbox"). A producer that cannot take it shared notifies. A
-- producer that can (no relay sleeps: one is at work, or none runs) keeps it shared until it commits: a relay
-- can fall asleep only once every such producer has committed, and it looks at the outbox once more after
-- that, so no committed row is left without a relay that saw it or a notification that wakes one.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(122550254464888) THEN
        PERFORM pg_notify('recert_outbox', '');
    END IF;
    RETURN NULL;
END $$;
