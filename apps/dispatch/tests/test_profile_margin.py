"""派发参数详情 (机构后台 四.3): the margin position in yuan — balance, held, free and how many cases each
business category's per-case hold still covers — and the service area as a readable summary."""
import re

import pytest

pytestmark = pytest.mark.django_db


def _text(resp):
    return re.sub(r"\s+", " ", resp.content.decode())


def test_profile_shows_the_margin_position_in_yuan_and_the_area_summary(client, cast, login, partners, fund,
                                                                        books_balance):
    from apps.regions.models import Region

    hz, nb = Region.objects.get(code="3301"), Region.objects.get(code="3302")
    guangdong = Region.objects.get(code="44")
    (p,) = partners(1, margin="3500.00", areas=[guangdong, hz, nb])
    login(p.user)
    html = _text(client.get("/inst/dispatch/profile/"))
    margin = html[html.index('data-testid="margin"'):]
    assert "¥3,500.00" in margin and "¥0.00" in margin           # balance, nothing held yet
    assert 'data-testid="free-position"' in margin
    assert re.search(r"测试信用贷</td><td class=\"amount\">¥1,000.00</td> <td class=\"amount\">3 笔", margin)
    assert "浙江省杭州市、宁波市；广东省全省" in html  # provinces in code order
    books_balance()


def test_a_short_position_is_flagged_and_the_hint_points_where_the_reader_may_go(client, cast, login, partners,
                                                                                  books_balance):
    from apps.accounts.services import institution_role, user_create

    (p,) = partners(1, margin="500.00")
    login(p.user)
    html = _text(client.get("/inst/dispatch/profile/"))
    assert "头寸不足，受理将被拒绝" in html and 'href="/inst/finance/transfer/"' in html
    officer = user_create(username="t_p_officer", password=cast.password, real_name="业务员甲", organization=p.org,
                          roles=[institution_role(p.org, "inst_officer")])
    client.post("/inst/logout/")
    login(officer)
    html = _text(client.get("/inst/dispatch/profile/"))
    assert "头寸不足，请告知本机构管理员充值或划转" in html and 'href="/inst/finance/transfer/"' not in html
    books_balance()


def test_service_area_hint_names_a_page_the_institution_can_reach(client, cast, login):
    login(cast.a_admin)
    html = _text(client.get("/inst/dispatch/profile/"))
    hint = re.search(r'data-testid="areas-hint">(.*?)</div>', html).group(1)
    link = re.search(r'href="([^"]+)"', hint).group(1).replace("&amp;", "&")
    assert "服务区域由数银设置" in hint
    form = client.get(link)
    assert form.status_code == 200 and "申请调整服务区域" in form.content.decode()
