-- 009: requests at the database's limit (issue 12).
--
-- The feed's commit order without a per-tenant lock (SPEC §9): an event's id is the writing
-- transaction's id shifted left by 16 bits plus its number within that transaction
-- (koop.emit), and readers hand out only ids below the oldest running transaction's id, shifted
-- the same way (koop.event_horizon). Every transaction still running, or yet to write, has an
-- id at least that old, so every event it commits later sorts after everything handed out:
-- following ids never skips one, and writers of one tenant no longer queue behind each other.
-- The ids of earlier versions (a sequence, committed in order under the lock) all lie below.
DO $$
BEGIN
    IF (SELECT coalesce(max(id), 0) FROM events) >= (pg_current_xact_id()::text::bigint << 16) THEN
        RAISE EXCEPTION 'events.id already beyond the transaction-id range of koop.emit';
    END IF;
END $$;
COMMENT ON TABLE events IS 'Committed changes, no personal data. id = (writing transaction id << 16) '
    '+ the event''s number in it (koop.emit); readers hand out only ids below koop.event_horizon() '
    '(the oldest running transaction''s), so id order is the order readers see and none is skipped.';
