"""The normalising data migration and the ASCII constraints on a database that already holds the defects of
issue 17 (§1, §2): one person registered twice (once in full-width digits), two institutions with one credit
code, full-width numbers elsewhere. The migration normalises what it can, merges nothing, flags the colliding
rows, and the constraint migrations succeed; ``identity_duplicates`` and the platform page list the flagged
rows; once an administrator corrects one, ``--recheck`` normalises it."""
import datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0006_identity_conflict"), ("members", "0002_identity_conflict")]
ID = "11010519491231002X"
FULL_ID = "１１０１０５１９４９１２３１００２ｘ"
CODE = "91350100M000100Y43"
TWIN_MOBILE = "13800000002".translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def old_rows(apps, cast):
    """Rows as the old forms stored them, written through the historical models before the data migration."""
    from apps.regions.models import Region

    Member = apps.get_model("members", "Member")
    Organization = apps.get_model("accounts", "Organization")
    User = apps.get_model("accounts", "User")
    Verification = apps.get_model("accounts", "RealNameVerification")
    Application = apps.get_model("accounts", "InstitutionApplication")
    common = dict(address="x", client_type="individual", birth_date=datetime.date(1949, 12, 31), id_photo_front="-",
                  id_photo_back="-", registered_by_id=cast.cm.pk, organization_id=cast.team.pk)
    rows = {
        "ascii": Member.objects.create(real_name="张三", id_number=ID, mobile="13800000001", **common).pk,
        "twin": Member.objects.create(real_name="张三（重复）", id_number=FULL_ID, mobile=TWIN_MOBILE, **common).pk,
        "alone": Member.objects.create(real_name="李四", id_number="４４０３０５１９９００１０１００１ｘ",
                                       mobile="13800000003", **common).pk,
        "arabic": Member.objects.create(real_name="王五", id_number="44030519900101002X",
                                        mobile="1380000000\u0664", **common).pk,
    }
    Organization.objects.filter(pk__in=[cast.inst_a.pk, cast.inst_b.pk]).update(credit_code=CODE)
    Organization.objects.filter(pk=cast.inst_a_sub.pk).update(credit_code="9144030071526726xg",
                                                               head_mobile="１３９００００００００")
    User.objects.filter(pk=cast.cs.pk).update(mobile="１３７００００００００")
    rows["verification"] = Verification.objects.create(
        organization_id=cast.inst_a.pk, subject="head", real_name="甲", id_number=FULL_ID, id_photo="-").pk
    rows["join"] = Application.objects.create(
        reference="old", name="旧申请", credit_code="91350100m000100y43", region_id=Region.objects.get(code="3205").pk, address="x",
        contact_name="x", contact_mobile="１３９１２３４５６７８", admin_username="old", licence_file="-").pk
    return rows


@pytest.mark.django_db(transaction=True)
@pytest.mark.xdist_group("db-threads")
def test_migration_normalises_flags_duplicates_and_the_constraints_hold(cast, client, login, capsys):
    from apps.accounts.models import InstitutionApplication, Organization, RealNameVerification, User
    from apps.members.models import Member

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        rows = old_rows(migrate(BEFORE), cast)
        migrate(latest)  # the data migrations, then the constraints: no error on the flagged rows
    finally:
        migrate(latest)

    ascii_row, twin = Member.objects.get(pk=rows["ascii"]), Member.objects.get(pk=rows["twin"])
    assert (ascii_row.id_number, twin.id_number) == (ID, FULL_ID)  # nothing merged, nothing changed
    assert ascii_row.identity_conflict and twin.identity_conflict and twin.mobile == TWIN_MOBILE
    alone, arabic = Member.objects.get(pk=rows["alone"]), Member.objects.get(pk=rows["arabic"])
    assert (alone.id_number, alone.identity_conflict) == ("44030519900101001X", False)
    assert (arabic.mobile, arabic.identity_conflict) == ("13800000004", False)
    a, b = Organization.objects.get(pk=cast.inst_a.pk), Organization.objects.get(pk=cast.inst_b.pk)
    assert a.identity_conflict and b.identity_conflict and a.credit_code == b.credit_code == CODE
    sub = Organization.objects.get(pk=cast.inst_a_sub.pk)
    assert (sub.credit_code, sub.head_mobile, sub.identity_conflict) == ("9144030071526726XG", "13900000000", False)
    assert User.objects.get(pk=cast.cs.pk).mobile == "13700000000"
    assert RealNameVerification.objects.get(pk=rows["verification"]).id_number == ID
    join = InstitutionApplication.objects.get(pk=rows["join"])
    assert (join.credit_code, join.contact_mobile) == (CODE, "13912345678")

    # every row not flagged is held to the rule by the database
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=alone.pk).update(id_number="４４０３０５１９９００１０１００１Ｘ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Organization.objects.filter(pk=cast.inst_a_sub2.pk).update(credit_code="9144030071526726XG")
    twin.real_name = "张三（待核对）"
    twin.save()  # a flagged row can still be worked on

    # listed for an administrator: the command (exit 1 while any remain) and the platform page
    with pytest.raises(SystemExit) as exit_:
        call_command("identity_duplicates")
    out = capsys.readouterr().out
    assert exit_.value.code == 1 and "会员身份证号 110***********002X：2 条" in out
    assert f"机构统一社会信用代码 {CODE}：2 条" in out and "共 2 组待核对。" in out
    login(cast.admin)
    page = client.get("/platform/identity-duplicates/").content.decode()
    assert "张三（待核对）" in page and "甲机构" in page and "乙机构" in page and "含全角或非半角字符" in page
    assert ID not in page and FULL_ID not in page  # the ID number stays masked

    # resolved by hand (the duplicate registration was another person; the second institution's code corrected)
    Member.objects.filter(pk=twin.pk).update(id_number="４４０３０５１９９００１０１００３Ｘ")
    Organization.objects.filter(pk=cast.inst_b.pk).update(credit_code="")
    call_command("identity_duplicates", "--recheck")
    assert "没有待核对的重复身份标识。" in capsys.readouterr().out
    twin = Member.objects.get(pk=twin.pk)
    assert (twin.id_number, twin.mobile, twin.identity_conflict) == ("44030519900101003X", "13800000002", False)
    assert not Member.objects.get(pk=rows["ascii"]).identity_conflict
    assert not Organization.objects.filter(identity_conflict=True).exists()
    assert "没有待核对的重复身份标识" in client.get("/platform/identity-duplicates/").content.decode()
