"""Entries of tests/test_url_isolation.py's registry for the accounts URLs added with issue 18."""


def b_menu_group(c):
    """A menu group of institution B's own (菜单管理)."""
    from apps.accounts.models import InstitutionMenu
    from apps.accounts.services import inst_menu_group_add

    group = (InstitutionMenu.objects.filter(organization=c.inst_b, menu__isnull=True).first()
             or inst_menu_group_add(actor=c.b_admin, title="乙的分组"))
    return {"pk": group.pk}


FOREIGN = {"inst:inst_menu_group_delete": b_menu_group}
FOREIGN_DEFAULT_OK = {"platform:detail_change_decide"}  # 数银's review page: every institution's requests
