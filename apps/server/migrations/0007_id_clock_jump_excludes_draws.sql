-- next_id() could mint the same id twice. Its clock jump re-read the counter and then called
-- setval(); a backend descheduled between the two (seen on a loaded two-core CI machine) let
-- other sessions draw more than 1,024 values past the clock meanwhile, and setval() then moved
-- the counter back over them. Now every draw holds the advisory lock in shared mode, and the
-- jump takes it exclusively: no nextval() runs between the re-read and setval(). The jump is
-- still only tried (never waited for); a busy moment just leaves the counter behind the clock
-- a little longer, which costs ordering precision, never uniqueness.
CREATE OR REPLACE FUNCTION next_id(shard integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE
  id_clock_slack constant bigint := 1024; -- 1 ms of ids
  id_clock_lock constant bigint := 7245002;
  clock bigint := (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1767225600000) << 10;
  v bigint;
BEGIN
  PERFORM pg_advisory_lock_shared(id_clock_lock);
  v := nextval('id_seq');
  PERFORM pg_advisory_unlock_shared(id_clock_lock);
  IF v < clock - id_clock_slack AND pg_try_advisory_lock(id_clock_lock) THEN
    IF (SELECT last_value FROM id_seq) < clock - id_clock_slack THEN
      PERFORM setval('id_seq', clock);
    END IF;
    v := nextval('id_seq');
    PERFORM pg_advisory_unlock(id_clock_lock);
  END IF;
  RETURN ((v >> 10) << 23) | ((shard & 8191)::bigint << 10) | (v & 1023);
END
$$;
