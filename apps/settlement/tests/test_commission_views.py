"""The pages of 佣金金额确认 and of the platform's commission agreements (issue 16 §5): each role's step works,
a wrong role gets 403, someone of another area or institution cannot reach them, bad input shows a Chinese
error and changes nothing, the agreement list's query count is fixed and the statement names the terms."""
from datetime import timedelta
from decimal import Decimal

import pytest

from apps.accounts.services import platform_role, user_create
from apps.cases.tests.test_views import own_cases, staff  # noqa: F401 (fixture)
from apps.common import clock
from apps.settlement import agreements
from apps.settlement.models import Agreement, AgreementLog, CommissionAdjustment
from apps.settlement.tests.test_settlement import chosen, disburse  # noqa: F401 (fixture)
from apps.settlement.tests.test_views import fresh, ops, page, pdf_text, settled  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock_reset")]


def test_clerk_confirms_the_computed_commission_and_the_statement_names_the_terms(client, cast, login, settled,
                                                                                  books_balance):
    partner, s = settled("commission")
    login(cast.fo)
    html = page(client.get(ops(s)))
    assert 'data-testid="confirm-commission"' in html and "产品默认条款：费率 1%" in html
    assert 'data-testid="statement-pdf"' not in html
    resp = client.post(ops(s, "commission/confirm/"), follow=True)
    assert "已确认佣金金额，结算账单已出具（应付 ¥500.00）" in page(resp)
    assert (fresh(s).status, fresh(s).commission_confirmed_by) == ("statement", cast.fo)
    assert "不能确认佣金金额" in page(client.post(ops(s, "commission/confirm/"), follow=True))  # a double click
    text = pdf_text(client.get(ops(s, "statement.pdf")).content)
    assert "产品默认条款" in text and "T_FO" in text
    client.post("/ops/logout/")
    login(partner.user)  # the institution sees which terms applied too
    assert "产品默认条款：费率 1%" in page(client.get(f"/inst/settlements/{s.pk}/"))
    books_balance()


def test_adjustment_form_errors_change_nothing(client, cast, login, settled):
    _partner, s = settled("commission")
    login(cast.fo)
    resp = client.post(ops(s, "commission/adjust/"), {"commission": "-1", "service_fee": "abc", "reason": ""})
    html = page(resp)
    assert "金额不能为负数" in html and "请输入正确的金额" in html and "请填写调整原因" in html
    resp = client.post(ops(s, "commission/adjust/"), {"commission": "1.234", "service_fee": "0", "reason": "x"})
    assert "金额最多两位小数（精确到分）" in page(resp)
    resp = client.post(ops(s, "commission/adjust/"), {"commission": "500", "service_fee": "0", "reason": "同额"})
    assert "请直接确认佣金金额" in page(resp) and 'value="同额"' in page(resp)
    assert not CommissionAdjustment.objects.exists() and fresh(s).status == "commission"


def test_adjustment_is_approved_by_a_second_person(client, cast, login, settled, books_balance):
    partner, s = settled("commission")
    both = user_create(username="t_of_both", password=cast.password, real_name="双岗", organization=cast.shuyin,
                       roles=[platform_role("of"), platform_role("of_clerk")])
    login(both)
    resp = client.post(ops(s, "commission/adjust/"), {"commission": "420.50", "service_fee": "80", "reason":
                                                      "机构年度返佣约定"}, follow=True)
    html = page(resp)
    assert "已提交佣金调整（机构佣金 ¥420.50，客户服务费 ¥80.00），待另一位同事复核" in html
    assert 'data-testid="pending-adjustment"' in html and 'data-testid="approve-adjustment"' not in html
    assert 'data-testid="confirm-commission"' not in html
    resp = client.post(ops(s, "commission/decide/"), {"decision": "approve", "note": ""})
    assert "不能复核自己提出的佣金调整" in page(resp) and fresh(s).status == "commission"
    client.post("/ops/logout/")
    login(cast.of)
    html = page(client.get(ops(s)))
    assert 'data-testid="decide-step"' in html and "机构年度返佣约定" in html and "¥420.50" in html
    resp = client.post(ops(s, "commission/decide/"), {"decision": "approve", "note": "核对无误"}, follow=True)
    assert "佣金调整已复核通过，结算账单已出具" in page(resp)
    s = fresh(s)
    assert (s.status, s.total, s.commission_confirmed_by) == ("statement", Decimal("500.50"), both)
    html = page(client.get(ops(s)))
    assert 'data-testid="adjustments"' in html and "经复核调整" in html and "核对无误" in html
    text = pdf_text(client.get(ops(s, "statement.pdf")).content)
    assert "经复核调整" in text and "机构年度返佣约定" in text and "T_OF" in text and "500.50" in text
    books_balance()


def test_rejection_needs_a_note(client, cast, login, settled):
    _partner, s = settled("commission")
    services_adjust(cast, s)
    login(cast.of)
    resp = client.post(ops(s, "commission/decide/"), {"decision": "reject", "note": ""})
    assert "驳回时请填写复核意见" in page(resp)
    assert CommissionAdjustment.objects.get().status == "pending"
    resp = client.post(ops(s, "commission/decide/"), {"decision": "reject", "note": "须附书面约定"}, follow=True)
    assert "已驳回佣金调整" in page(resp) and CommissionAdjustment.objects.get().status == "rejected"


def services_adjust(cast, s):
    from apps.settlement import services

    return services.commission_adjust(actor=cast.fo, settlement_id=s.pk, commission_amount="300", service_fee="0",
                                      reason="减免")


def test_wrong_roles_get_403_on_the_commission_steps(client, cast, login, settled):
    _partner, s = settled("commission")
    for user, url, data in [(cast.cm, "commission/confirm/", {}), (cast.of, "commission/confirm/", {}),
                            (cast.st, "commission/adjust/", {"commission": "1", "service_fee": "0", "reason": "x"}),
                            (cast.fo, "commission/decide/", {"decision": "approve"}),
                            (cast.lr, "commission/decide/", {"decision": "approve"})]:
        login(user)
        assert client.post(ops(s, url), data).status_code == 403, (user, url)
        client.post("/ops/logout/")
    login(cast.a_admin)  # an institution's user is in another area
    assert client.post(ops(s, "commission/confirm/")).status_code == 403
    assert fresh(s).status == "commission" and not CommissionAdjustment.objects.exists()


def test_cm_of_another_team_cannot_see_the_commission(client, cast, login, settled):
    _partner, s = settled("commission")
    login(cast.cm2)
    assert client.get(ops(s)).status_code == 404


# ---- the platform's agreements ----

def _form(inst, product, **kw):
    return {"institution": inst.pk, "product": product.pk, "basis": "rate", "rate_percent": "1.25",
            "fixed_amount": "", "minimum": "2000", "service_fee": "300", "valid_from": "2026-01-01",
            "valid_to": "", "note": "2026 年度合作协议"} | kw


def test_admin_adds_versions_and_sees_the_history(client, cast, login, product):
    login(cast.admin)
    html = page(client.get("/platform/agreements/"))
    assert "暂无佣金协议" in html and 'data-testid="new-agreement"' in html
    resp = client.post("/platform/agreements/new/", _form(cast.inst_a, product), follow=True)
    assert "已新增佣金协议" in page(resp) and "费率 1.25%，最低佣金 2,000.00 元，客户服务费 300.00 元" in page(resp)
    v1 = Agreement.objects.get()
    assert (v1.rate, v1.minimum, v1.service_fee, v1.created_by) == (Decimal("0.0125"), Decimal("2000.00"),
                                                                    Decimal("300.00"), cast.admin)
    resp = client.post("/platform/agreements/new/", _form(cast.inst_a, product, basis="fixed", rate_percent="",
                                                          fixed_amount="888.88", valid_from="2027-01-01"),
                       follow=True)
    html = page(resp)
    assert "固定佣金 888.88 元" in html and "2026-12-31 终止" in html and "生效中" in html
    assert Agreement.objects.count() == 2 and AgreementLog.objects.count() == 3


def test_agreement_form_errors_change_nothing(client, cast, login, product):
    login(cast.admin)
    agreements.agreement_create(actor=cast.admin, institution=cast.inst_a, product=product,
                                valid_from=clock.today(), valid_to=clock.today() + timedelta(days=300),
                                rate=Decimal("0.01"))
    for data, error in [
        (_form(cast.inst_a, product, rate_percent=""), "按比例计费时请填写佣金费率"),
        (_form(cast.inst_a, product, basis="fixed", rate_percent="", fixed_amount=""), "请填写大于 0 的固定佣金"),
        (_form(cast.inst_a, product, rate_percent="1.255"), "费率最多两位小数"),
        (_form(cast.inst_a, product, rate_percent="120"), "费率不能超过 100%"),
        (_form(cast.inst_a, product, valid_from="2026-13-01"), "请输入正确的日期"),
        (_form(cast.inst_a, product, valid_from=str(clock.today() + timedelta(days=10))), "有效期重叠"),
        (_form(cast.inst_a, product, valid_to="2025-01-01"), "失效日期不能早于生效日期"),
        (_form(cast.inst_a_sub, product), "请选择有效的选项"),
    ]:
        resp = client.post("/platform/agreements/new/", data)
        assert resp.status_code == 200 and error in page(resp), error
    assert Agreement.objects.count() == 1 and AgreementLog.objects.count() == 1


def test_admin_ends_a_version(client, cast, login, product):
    a = agreements.agreement_create(actor=cast.admin, institution=cast.inst_a, product=product,
                                    valid_from=clock.today(), rate=Decimal("0.01"))
    login(cast.admin)
    resp = client.post(f"/platform/agreements/{a.pk}/end/", {"valid_to": str(clock.today() - timedelta(days=3)),
                                                             "reason": "x"}, follow=True)
    assert "终止日期不能早于今天" in page(resp) and Agreement.objects.get().valid_to is None
    resp = client.post(f"/platform/agreements/{a.pk}/end/", {"valid_to": str(clock.today()), "reason": ""},
                       follow=True)
    assert "请填写终止原因" in page(resp) and Agreement.objects.get().valid_to is None
    resp = client.post(f"/platform/agreements/{a.pk}/end/", {"valid_to": str(clock.today() + timedelta(days=30)),
                                                             "reason": "合作到期"}, follow=True)
    assert "最后有效日已设为" in page(resp) and "合作到期" in page(resp)
    assert Agreement.objects.get().valid_to == clock.today() + timedelta(days=30)
    assert client.post("/platform/agreements/999999/end/", {"valid_to": "2030-01-01", "reason": "x"}).status_code == 404


def test_agreement_pages_need_the_platform_codes(client, cast, login, product):
    a = agreements.agreement_create(actor=cast.admin, institution=cast.inst_a, product=product,
                                    valid_from=clock.today(), rate=Decimal("0.01"))
    login(cast.fo)  # 数银 operations staff: another area
    assert client.get("/platform/agreements/").status_code == 403
    client.post("/ops/logout/")
    login(cast.a_admin)  # an institution never sees the platform's agreements, its own included
    assert client.get("/platform/agreements/").status_code == 403
    assert client.post(f"/platform/agreements/{a.pk}/end/", {"valid_to": "2030-01-01", "reason": "x"}
                       ).status_code == 403
    assert Agreement.objects.get().valid_to is None


@pytest.mark.parametrize("rows", [1, 4])
def test_agreement_list_query_count_is_fixed(client, cast, login, product, django_assert_num_queries, rows):
    from apps.products.models import Product

    for i in range(rows):
        p = Product.objects.create(code=f"t-ag{i}", name=f"协议产品{i}", category="credit", hold_amount="0")
        agreements.agreement_create(actor=cast.admin, institution=cast.inst_a, product=p, valid_from=clock.today(),
                                    rate=Decimal("0.01"))
    login(cast.admin)
    client.get("/platform/agreements/")
    with django_assert_num_queries(7):
        html = page(client.get(f"/platform/agreements/?institution={cast.inst_a.pk}"))
    assert html.count("协议产品") >= rows


def test_two_roles_two_menus_and_the_approvers_card(client, cast, login, settled):
    _partner, s = settled("commission")
    services_adjust(cast, s)
    login(cast.fo)  # 跟单员: settlements and follow-ups, no dispatch intervention
    html = page(client.get("/ops/"))
    assert "跟单员联系" in html and "派发监控" not in html and "待复核佣金调整" not in html
    client.post("/ops/logout/")
    login(cast.of)  # 跟单经理: dispatch monitoring, the settlements to watch, the adjustments to approve
    html = page(client.get("/ops/"))
    assert "派发监控" in html and "跟单员联系" not in html and "待复核佣金调整" in html
    assert client.get("/ops/follow-ups/").status_code == 403
