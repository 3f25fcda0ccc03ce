"""/platform/identity-duplicates/: the rows the normalising migration flagged, for a platform administrator only
(the migration itself is tested in apps/common/tests/test_identity_migration.py)."""
import pytest

from apps.accounts.models import Organization
from apps.members.models import Member

pytestmark = pytest.mark.django_db


def flag_members(make_member, n):
    members = [make_member() for _ in range(n)]
    Member.objects.filter(pk__in=[m.pk for m in members]).update(identity_conflict=True)
    return members


@pytest.mark.parametrize("who", ["cm", "a_admin", "b_admin"])
def test_other_roles_and_institutions_are_refused(client, cast, login, who):
    login(getattr(cast, who))
    assert client.get("/platform/identity-duplicates/").status_code == 403


def test_the_page_lists_flagged_rows_with_the_id_masked(client, cast, login, make_member):
    member = flag_members(make_member, 1)[0]
    Organization.objects.filter(pk=cast.inst_b.pk).update(identity_conflict=True)
    login(cast.admin)
    page = client.get("/platform/identity-duplicates/").content.decode()
    assert member.real_name in page and "乙机构" in page and member.id_number not in page
    assert f"{member.id_number[:3]}***********{member.id_number[-4:]}" in page


@pytest.mark.parametrize("rows", [1, 6])
def test_query_count_does_not_grow_with_the_rows(client, cast, login, make_member, django_assert_num_queries, rows):
    flag_members(make_member, rows)
    login(cast.admin)
    client.get("/platform/identity-duplicates/")  # warm the per-user caches
    with django_assert_num_queries(3):
        assert client.get("/platform/identity-duplicates/").status_code == 200
