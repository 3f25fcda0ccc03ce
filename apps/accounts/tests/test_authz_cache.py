"""Cached rights and menus (apps/accounts/authz_cache.py): never a right the database does not give."""
import pytest
from django.core.cache import cache

from apps.accounts import authz_cache
from apps.accounts.models import DataScope, Menu, Role
from apps.accounts.services import permissions_by_codes

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as the next request loads it (no per-object caches)."""
    return type(user).objects.select_related("organization").get(pk=user.pk)


def test_rights_come_from_the_cache_on_the_next_request(cast, django_assert_num_queries):
    assert fresh(cast.lr).has_perm("applications.review_lr")  # computed from the database, stored
    user = fresh(cast.lr)
    with django_assert_num_queries(0):
        assert user.has_perm("applications.review_lr") and not user.has_perm("accounts.manage_users")


def test_a_code_taken_from_a_role_is_gone_at_the_next_request(cast):
    role = Role.objects.get(organization__isnull=True, code="lr")
    assert fresh(cast.lr).has_perm("applications.review_lr")
    role.permissions.remove(*permissions_by_codes({"applications.review_lr"}))
    assert not fresh(cast.lr).has_perm("applications.review_lr")


def test_a_role_switched_off_or_taken_away_is_gone_at_the_next_request(cast):
    before = fresh(cast.a_admin).get_all_permissions()
    assert "accounts.access_inst" in before
    cast.a_admin.roles.clear()
    assert fresh(cast.a_admin).get_all_permissions() == set() != before
    role = Role.objects.get(organization__isnull=True, code="cs")
    assert fresh(cast.cs).get_all_permissions()
    role.is_active = False
    role.save()
    assert fresh(cast.cs).get_all_permissions() == set()


def test_data_scope_follows_the_role(cast):
    from apps.accounts.selectors import user_data_scope

    role = Role.objects.get(organization__isnull=True, code="cm")
    assert user_data_scope(fresh(cast.cm)) == role.data_scope
    role.data_scope = DataScope.ALL
    role.save()
    assert user_data_scope(fresh(cast.cm)) == DataScope.ALL


def test_a_stale_entry_of_an_older_generation_is_never_used(cast):
    """An entry stamped with another generation (e.g. written by a request that read the rows before a change
    committed) is recomputed, whatever it says."""
    fresh(cast.cm).get_all_permissions()
    key = authz_cache.USER_KEY.format(cast.cm.pk)
    forged = {**cache.get(key), "perms": ["accounts.manage_users"], "gen": "older"}
    cache.set(key, forged)
    assert not fresh(cast.cm).has_perm("accounts.manage_users")
    cache.set(key, {**forged, "gen": cache.get(authz_cache.GEN_KEY), "superuser": True})
    assert not fresh(cast.cm).has_perm("accounts.manage_users")  # stamped for a superuser: not this user's


def test_without_redis_rights_are_read_from_the_database(cast, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "set", down)
    user = fresh(cast.lr)
    assert user.has_perm("applications.review_lr") and not user.has_perm("accounts.manage_users")


def test_menu_changes_show_at_the_next_request(client, cast, login):
    login(cast.a_officer)
    assert "数据看板测试" not in client.get("/inst/").content.decode()
    Menu.objects.create(code="t-board", area="inst", title="数据看板测试", url_name="inst:home", order=99)
    assert "数据看板测试" in client.get("/inst/").content.decode()
    Menu.objects.filter(code="t-board").get().delete()
    assert "数据看板测试" not in client.get("/inst/").content.decode()


def test_a_user_switched_off_is_out_at_once_whatever_the_cache(client, cast, login):
    from apps.accounts.services import staff_set_active

    login(cast.a_officer)
    assert client.get("/inst/").status_code == 200
    staff_set_active(actor=cast.a_admin, user=cast.a_officer, active=False)
    assert client.get("/inst/").status_code == 302
