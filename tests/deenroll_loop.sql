-- deenroll_loop.sql — one de-enrollment run by SQL, as `minicrm deenroll`
-- does it: per client (every client, or :'client' alone), a
-- de_enrollment_runs row, process_de_enrollment_batch() until a batch
-- comes back short, each batch its own transaction, the row closed as a
-- success with its duration. Used by the tests (tests/http/campaign_lib.sh)
-- and the benchmark (bench/deenroll.sh) where the CLI is not wanted.
--   psql URL -v client= -v batch=100 -f tests/deenroll_loop.sql
SELECT set_config('deenroll.client', :'client', false),
       set_config('deenroll.batch', :'batch', false);
DO $$
DECLARE
	v_client	uuid;
	v_run		uuid;
	v_done		integer;
	v_t0		timestamptz;
	v_only		text := current_setting('deenroll.client');
	v_batch		integer := current_setting('deenroll.batch')::integer;
BEGIN
	FOR v_client IN SELECT id FROM clients
	                WHERE v_only = '' OR id = v_only::uuid ORDER BY id
	LOOP
		v_t0 := clock_timestamp();
		INSERT INTO de_enrollment_runs (client_id, triggered_by)
		VALUES (v_client, 'sql') RETURNING id INTO v_run;
		COMMIT;
		LOOP
			v_done := process_de_enrollment_batch(v_run, v_client, v_batch);
			COMMIT;
			EXIT WHEN v_done < v_batch;
		END LOOP;
		UPDATE de_enrollment_runs SET status = 'success',
		    finished_at = clock_timestamp(),
		    duration_ms = (extract(epoch FROM clock_timestamp() - v_t0)
		                   * 1000)::integer
		WHERE id = v_run;
		COMMIT;
	END LOOP;
END
$$;
