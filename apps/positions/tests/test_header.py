"""The institution back office's always-on header (机构后台 十一 公共显示信息) for every user of the institution,
whatever the role: name, operator, last login, clock, position and risk margin, the low-position warning, lost
cases, unread messages and the 跟单经理 — read-only, and a link only where the reader may follow it."""
import re

import pytest


def _topbar(client, url="/inst/"):
    html = client.get(url).content.decode()
    return re.search(r'<header class="topbar">(.*?)</header>', html, re.S).group(1)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["a_admin", "a_officer", "a_viewer", "a_sub_user"])
def test_every_institution_user_sees_the_header_figures(client, cast, login, fund, books_balance, who):
    from apps.accounts.models import Organization
    from apps.messaging.services import message_send

    Organization.objects.filter(pk=cast.inst_a.pk).update(follower=cast.of)
    cast.of.mobile = "13800138123"
    cast.of.save(update_fields=["mobile"])
    fund(cast.inst_a, clerk=cast.st, margin="12345.67", risk="2000.50")
    fund(cast.inst_b, clerk=cast.st, margin="99999.99", risk="77777.77")
    user = getattr(cast, who)
    message_send(recipients=[user.pk], title="测试站内信", body="")
    login(user)
    bar = _topbar(client)
    assert "甲机构" in bar and user.display_name in bar and "上次登录" in bar
    assert "¥12,345.67" in bar and "¥2,000.50" in bar            # position and risk margin, in yuan
    assert "¥99,999.99" not in bar and "¥77,777.77" not in bar    # never another institution's
    assert "T_OF" in bar and "13800138123" in bar                 # the institution's 跟单经理
    assert 'data-clock' in bar and "unread-badge" in bar          # clock and unread messages
    assert "low-position" not in bar
    books_balance()


@pytest.mark.django_db
def test_low_position_warning_links_only_where_the_reader_may_go(client, cast, login, fund, books_balance):
    fund(cast.inst_a, clerk=cast.st, margin="100.00")
    login(cast.a_officer)  # 业务员: may not recharge
    bar = _topbar(client)
    assert 'data-testid="low-position"' in bar and "¥100.00" in bar
    assert "/inst/finance/recharge" not in bar and "请告知本机构管理员充值" in bar
    client.logout()
    login(cast.a_admin)
    bar = _topbar(client)
    assert 'data-testid="low-position"' in bar and "保证金头寸不足，请及时充值" in bar
    from django.urls import reverse

    assert f'href="{reverse("inst:recharge_new")}"' in bar
    assert client.get(reverse("inst:recharge_new")).status_code == 200
    books_balance()
