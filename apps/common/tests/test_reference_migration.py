"""Bank references are stored as printable ASCII, enforced by CHECK constraints (issue 17 §1). References stored
before that rule are folded by the data migration (full-width → ASCII); one that cannot be made ASCII stops the
migration with the row named instead of being changed silently."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.positions import services
from apps.positions.models import Recharge

BEFORE = [("positions", "0005_online_providers")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def offline(cast, reference):
    return services.recharge_offline_submit(institution=cast.inst_a, amount="100.00", bank_reference=reference,
                                            voucher_path="-", user=cast.a_admin)


@pytest.mark.django_db
def test_the_database_refuses_a_non_ascii_bank_reference(cast):
    recharge = offline(cast, "ICBC 2026-12-04 001")
    for typed in ("ＩＣＢＣ２０２６", "工行转账", "12\u00b3"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Recharge.objects.filter(pk=recharge.pk).update(bank_reference=typed)
    assert Recharge.objects.get(pk=recharge.pk).bank_reference == "ICBC 2026-12-04 001"


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")
def test_old_references_are_folded_and_words_stop_the_migration(cast):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        migrate(BEFORE)  # the constraint is gone: rows as the old forms stored them
        folded = offline(cast, "ＩＣＢＣ　２０２６－１２－０４")
        kept = offline(cast, "CMB-778899")
        words = offline(cast, "工行转账")
        with pytest.raises(RuntimeError, match=rf"rows \[{words.pk}\]"):
            migrate(latest)
        assert Recharge.objects.get(pk=words.pk).bank_reference == "工行转账"  # nothing changed silently
        Recharge.objects.filter(pk=words.pk).update(bank_reference="ICBC-123")  # corrected by hand
        migrate(latest)
        assert Recharge.objects.get(pk=folded.pk).bank_reference == "ICBC 2026-12-04"
        assert Recharge.objects.get(pk=kept.pk).bank_reference == "CMB-778899"
        with pytest.raises(IntegrityError), transaction.atomic():
            Recharge.objects.filter(pk=kept.pk).update(bank_reference="ＣＭＢ")
    finally:
        Recharge.objects.filter(bank_reference__regex=r"[^ -~]").update(bank_reference="-")
        migrate(latest)
