-- next_id() kept its counter up to 50 ms behind the wall clock, so ids minted within 50 ms
-- shared their time bits and sorted by shard, not by time: newest-first lists came out
-- shuffled. Keep the counter within one millisecond of the clock instead. The jump is still
-- forward only, under an advisory lock, after re-reading the counter; concurrent nextval()
-- calls could only overtake it by drawing 1,024 values in the few microseconds between the
-- re-read and setval(), far beyond what one server mints.
CREATE OR REPLACE FUNCTION next_id(shard integer) RETURNS bigint
  LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE AS $$
DECLARE
  id_clock_slack constant bigint := 1024; -- 1 ms of ids
  clock bigint := (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint - 1767225600000) << 10;
  v bigint := nextval('id_seq');
BEGIN
  IF v < clock - id_clock_slack AND pg_try_advisory_lock(7245002) THEN
    IF (SELECT last_value FROM id_seq) < clock - id_clock_slack THEN
      PERFORM setval('id_seq', clock);
    END IF;
    v := nextval('id_seq');
    PERFORM pg_advisory_unlock(7245002);
  END IF;
  RETURN ((v >> 10) << 23) | ((shard & 8191)::bigint << 10) | (v & 1023);
END
$$;
