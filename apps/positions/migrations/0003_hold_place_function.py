from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION positions_hold_place(p_account bigint, p_inst bigint, p_ref_type text, p_ref_id text,
                                                p_amount numeric, p_memo text, p_now timestamptz)
RETURNS TABLE(hold_id bigint, outcome text) AS $$
-- One round trip for the hottest money path. Atomic as one statement:
-- 1. insert the hold unless this (case, institution) already has one (then report it);
-- 2. compare-and-set the margin row: held += amount only while balance - held >= amount;
-- 3. when the position is short, take the new hold back out (nothing remains) and report it.
DECLARE v_id bigint;
BEGIN
  INSERT INTO positions_hold (account_id, institution_id, ref_type, ref_id, amount, status, memo, created_at)
  VALUES (p_account, p_inst, p_ref_type, p_ref_id, p_amount, 'active', p_memo, p_now)
  ON CONFLICT (ref_type, ref_id, institution_id) DO NOTHING RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    RETURN QUERY SELECT h.id, 'existing'::text FROM positions_hold h
      WHERE h.ref_type = p_ref_type AND h.ref_id = p_ref_id AND h.institution_id = p_inst;
    RETURN;
  END IF;
  UPDATE positions_account SET held = held + p_amount, updated_at = p_now
    WHERE id = p_account AND balance - held >= p_amount;
  IF NOT FOUND THEN
    DELETE FROM positions_hold WHERE id = v_id;
    RETURN QUERY SELECT NULL::bigint, 'insufficient'::text;
    RETURN;
  END IF;
  RETURN QUERY SELECT v_id, 'created'::text;
END $$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("positions", "0002_immutable_journal")]
    operations = [migrations.RunSQL(SQL, "DROP FUNCTION IF EXISTS positions_hold_place")]
