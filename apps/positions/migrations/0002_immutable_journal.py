from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION positions_refuse_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'journal rows are immutable: post a correcting entry instead';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER journalline_immutable BEFORE UPDATE OR DELETE ON positions_journalline
  FOR EACH ROW EXECUTE FUNCTION positions_refuse_change();
CREATE TRIGGER journalentry_immutable BEFORE UPDATE OR DELETE ON positions_journalentry
  FOR EACH ROW EXECUTE FUNCTION positions_refuse_change();
"""
REVERSE = """
DROP TRIGGER IF EXISTS journalline_immutable ON positions_journalline;
DROP TRIGGER IF EXISTS journalentry_immutable ON positions_journalentry;
DROP FUNCTION IF EXISTS positions_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("positions", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
