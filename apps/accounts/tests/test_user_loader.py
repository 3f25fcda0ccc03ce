"""RoleBackend.get_user reads the user and its organisation with one prepared statement (backends.py): it must
give exactly what the ORM's select_related would."""
import pytest

from apps.accounts.backends import user_with_organization
from apps.accounts.models import Organization, User


def same_rows(got, want, model):
    return {f.attname: getattr(got, f.attname) for f in model._meta.concrete_fields} == \
        {f.attname: getattr(want, f.attname) for f in model._meta.concrete_fields}


@pytest.mark.parametrize("who", ["cm", "a_admin", "lr"])
def test_the_loader_reads_what_the_orm_reads(cast, who, django_assert_num_queries):
    user = getattr(cast, who)
    with django_assert_num_queries(1):
        got = user_with_organization(user.pk)
        assert got.organization.pk == user.organization_id  # loaded with the user: no second query
    want = User.objects.select_related("organization").get(pk=user.pk)
    assert same_rows(got, want, User) and same_rows(got.organization, want.organization, Organization)
    assert not got._state.adding and got._state.db == "default"


def test_a_user_without_organisation_and_an_unknown_id(db):
    root = User.objects.create_superuser(username="t_root_loader", password="x", real_name="根", organization=None)
    got = user_with_organization(root.pk)
    assert got.organization is None and same_rows(got, User.objects.get(pk=root.pk), User)
    assert user_with_organization(root.pk + 10_000) is None
