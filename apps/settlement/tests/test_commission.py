"""佣金金额确认 (issue 16 §5) through the services: 跟单员 confirms the computed figures or proposes an adjustment
that a second person approves (never the proposer); the commission agreements' periods never overlap, a new
version ends the open-ended one before it, and the statement applies the version in force on the disbursement
date and says which it was. Money exact to the fen; the books balance at the end."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from apps.accounts.services import platform_role, user_create
from apps.common import clock
from apps.settlement import agreements, services
from apps.settlement.models import Agreement, AgreementLog, CommissionAdjustment, Settlement
from apps.settlement.tests.test_settlement import chosen, disburse  # noqa: F401 — the fixture and the helper

pytestmark = pytest.mark.usefixtures("clock_reset")


@pytest.fixture
def at_commission(cast, chosen):  # noqa: F811
    """at_commission(amount) → (partner, settlement) waiting for 佣金金额确认."""
    def _make(amount="50000"):
        partner, case = chosen()
        disburse(partner, case, amount=amount)
        s = Settlement.objects.get(case=case)
        services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount=amount)
        services.confirm_client(actor=cast.cm, settlement_id=s.pk)
        s.refresh_from_db()
        return partner, s
    return _make


@pytest.fixture
def both(cast):
    """A 跟单员 who is also 跟单经理: holds both codes, still cannot approve their own adjustment."""
    return user_create(username="t_of_both", password=cast.password, real_name="双岗", organization=cast.shuyin,
                       roles=[platform_role("of"), platform_role("of_clerk")])


def test_adjustment_needs_a_second_person_and_both_are_recorded(cast, at_commission, both, books_balance):
    partner, s = at_commission()
    assert (s.status, s.computed_commission, s.computed_service_fee) == ("commission", Decimal("500.00"),
                                                                         Decimal("0.00"))
    with pytest.raises(ValidationError, match="调整原因"):
        services.commission_adjust(actor=both, settlement_id=s.pk, commission_amount="450", service_fee="0",
                                   reason=" ")
    with pytest.raises(ValidationError, match="相同"):
        services.commission_adjust(actor=both, settlement_id=s.pk, commission_amount="500.00", service_fee="0",
                                   reason="无变化")
    with pytest.raises(PermissionDenied):  # 客户经理 neither confirms nor adjusts
        services.commission_adjust(actor=cast.cm, settlement_id=s.pk, commission_amount="450", service_fee="0",
                                   reason="x")
    adj = services.commission_adjust(actor=both, settlement_id=s.pk, commission_amount="450.55",
                                     service_fee="120.10", reason="机构年度返佣约定（附件已存档）")
    with pytest.raises(ValidationError, match="待复核"):  # nothing is confirmed while an adjustment waits
        services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    with pytest.raises(ValidationError, match="待复核"):  # nor a second adjustment proposed
        services.commission_adjust(actor=cast.fo, settlement_id=s.pk, commission_amount="1", service_fee="0",
                                   reason="x")
    with pytest.raises(ValidationError, match="不能复核自己"):
        services.commission_decide(actor=both, settlement_id=s.pk, approve=True)
    with pytest.raises(PermissionDenied):  # a 跟单员 alone may not approve
        services.commission_decide(actor=cast.fo, settlement_id=s.pk, approve=True)
    assert Settlement.objects.get(pk=s.pk).status == "commission"

    services.commission_decide(actor=cast.of, settlement_id=s.pk, approve=True, note="核对协议无误")
    s.refresh_from_db()
    adj.refresh_from_db()
    assert (adj.status, adj.proposed_by, adj.decided_by) == ("approved", both, cast.of)
    assert (s.status, s.commission, s.service_fee, s.total) == ("statement", Decimal("450.55"), Decimal("120.10"),
                                                                Decimal("570.65"))
    assert (s.computed_commission, s.commission_confirmed_by) == (Decimal("500.00"), both)
    with pytest.raises(ValidationError):  # decided once
        services.commission_decide(actor=cast.of, settlement_id=s.pk, approve=True)
    services.pay_from_cash(actor=partner.user, settlement_id=s.pk)
    books_balance()


def test_rejected_adjustment_goes_back_to_the_clerk(cast, at_commission, books_balance):
    _partner, s = at_commission()
    services.commission_adjust(actor=cast.fo, settlement_id=s.pk, commission_amount="300", service_fee="0",
                               reason="客户投诉减免")
    with pytest.raises(ValidationError, match="复核意见"):
        services.commission_decide(actor=cast.of, settlement_id=s.pk, approve=False, note="")
    adj = services.commission_decide(actor=cast.of, settlement_id=s.pk, approve=False, note="减免须走投诉处罚流程")
    assert (adj.status, adj.decided_by, adj.decision_note) == ("rejected", cast.of, "减免须走投诉处罚流程")
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    s.refresh_from_db()
    assert (s.status, s.commission, s.total) == ("statement", Decimal("500.00"), Decimal("500.00"))
    books_balance()


def test_the_database_refuses_a_self_approved_adjustment(cast, at_commission):
    _partner, s = at_commission()
    adj = services.commission_adjust(actor=cast.fo, settlement_id=s.pk, commission_amount="300", service_fee="0",
                                     reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        CommissionAdjustment.objects.filter(pk=adj.pk).update(status="approved", decided_by=cast.fo)


def _terms(**kw):
    return {"rate": None, "fixed_amount": None, "minimum": "0", "service_fee": None, "valid_to": None} | kw


def test_agreement_versions_never_overlap_and_keep_their_history(cast, product):
    inst = cast.inst_a
    with pytest.raises(PermissionDenied):  # kept on the platform by its administrators
        agreements.agreement_create(actor=cast.fo, institution=inst, product=product, valid_from=date(2026, 1, 1),
                                    **_terms(rate=Decimal("0.02")))
    with pytest.raises(ValidationError, match="总部"):
        agreements.agreement_create(actor=cast.admin, institution=cast.inst_a_sub, product=product,
                                    valid_from=date(2026, 1, 1), **_terms(rate=Decimal("0.02")))
    with pytest.raises(ValidationError, match="二选一"):
        agreements.agreement_create(actor=cast.admin, institution=inst, product=product, valid_from=date(2026, 1, 1),
                                    **_terms(rate=Decimal("0.02"), fixed_amount="100"))
    v1 = agreements.agreement_create(actor=cast.admin, institution=inst, product=product,
                                     valid_from=date(2026, 1, 1), **_terms(rate=Decimal("0.02"), minimum="2000"))
    v2 = agreements.agreement_create(actor=cast.admin, institution=inst, product=product,
                                     valid_from=date(2027, 1, 1), **_terms(fixed_amount="888.88",
                                                                            valid_to=date(2027, 12, 31)))
    v1.refresh_from_db()
    assert v1.valid_to == date(2026, 12, 31)  # the open-ended version ends the day before
    with pytest.raises(ValidationError, match=v2.number):  # inside v2's period
        agreements.agreement_create(actor=cast.admin, institution=inst, product=product,
                                    valid_from=date(2027, 6, 1), **_terms(rate=Decimal("0.01")))
    with pytest.raises(ValidationError, match=v1.number):  # reaching back into v1's (closed) period
        agreements.agreement_create(actor=cast.admin, institution=inst, product=product,
                                    valid_from=date(2026, 6, 1), valid_to=date(2026, 8, 1),
                                    **{k: v for k, v in _terms(rate=Decimal("0.01")).items() if k != "valid_to"})
    # another institution's terms are its own
    agreements.agreement_create(actor=cast.admin, institution=cast.inst_b, product=product,
                                valid_from=date(2026, 1, 1), **_terms(rate=Decimal("0.03")))
    # the database is the last word (two administrators at once)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(institution=inst, product=product, rate=Decimal("0.01"),
                                 valid_from=date(2027, 12, 31), valid_to=date(2028, 1, 5))
    log = list(AgreementLog.objects.filter(institution=inst).order_by("id").values_list("agreement_id", "text"))
    assert [a for a, _t in log] == [v1.pk, v1.pk, v2.pk]
    assert "新增协议" in log[0][1] and "2026-12-31 终止" in log[1][1] and "固定佣金 888.88 元" in log[2][1]
    # ending: not in the past, only earlier than it already ends
    with pytest.raises(ValidationError, match="不能早于今天"):
        agreements.agreement_end(actor=cast.admin, agreement_id=v2.pk, valid_to=clock.today() - timedelta(days=1),
                                 reason="提前终止")
    with pytest.raises(ValidationError, match="终止原因"):
        agreements.agreement_end(actor=cast.admin, agreement_id=v2.pk, valid_to=date(2027, 6, 30), reason="")
    agreements.agreement_end(actor=cast.admin, agreement_id=v2.pk, valid_to=date(2027, 6, 30), reason="合作调整")
    v2.refresh_from_db()
    assert v2.valid_to == date(2027, 6, 30) and v2.log.count() == 2


def test_the_statement_applies_the_version_in_force_on_the_disbursement_date(cast, chosen, product,  # noqa: F811
                                                                             books_balance):
    today = clock.today()
    partner, case = chosen()
    old = agreements.agreement_create(actor=cast.admin, institution=partner.org, product=product,
                                      valid_from=today - timedelta(days=30),
                                      **_terms(rate=Decimal("0.0125"), minimum="2000.00", service_fee="300.00"))
    newer = agreements.agreement_create(actor=cast.admin, institution=partner.org, product=product,
                                        valid_from=today + timedelta(days=1), **_terms(fixed_amount="888.88"))
    disburse(partner, case, amount="50000")
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="50000")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    s.refresh_from_db()
    # 50,000 × 1.25% = 625.00 < minimum 2,000.00 → 2,000.00; the fee 300.00 from the agreement, not the product
    assert (s.agreement, s.terms_on, s.basis, s.rate) == (old, today, "rate", Decimal("0.0125"))
    assert (s.computed_commission, s.computed_service_fee) == (Decimal("2000.00"), Decimal("300.00"))
    text = services.terms_text(s)
    assert old.number in text and "费率 1.25%" in text and "最低佣金 2,000.00 元" in text
    # the next version, in force from tomorrow, changes nothing for a loan disbursed today
    clock.shift(timedelta(days=2))
    services.commission_confirm(actor=cast.fo, settlement_id=s.pk)
    s.refresh_from_db()
    assert (s.total, s.agreement) == (Decimal("2300.00"), old) and newer.covers(clock.today())
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 — ProtectedError: a statement applied it
        old.delete()
    services.pay_from_cash(actor=partner.user, settlement_id=s.pk)
    books_balance()


def test_a_case_with_no_agreement_in_force_uses_the_product_defaults(cast, chosen, product):  # noqa: F811
    partner, case = chosen()
    agreements.agreement_create(actor=cast.admin, institution=partner.org, product=product,
                                valid_from=clock.today() + timedelta(days=10), **_terms(fixed_amount="5000"))
    disburse(partner, case, amount="12345.67")
    s = Settlement.objects.get(case=case)
    services.confirm_amount(actor=cast.fo, settlement_id=s.pk, amount="12345.67")
    services.confirm_client(actor=cast.cm, settlement_id=s.pk)
    s.refresh_from_db()
    # the product's 1%: 123.4567 → 123.46 (half up, to the fen)
    assert (s.agreement, s.computed_commission) == (None, Decimal("123.46"))
    assert services.terms_text(s).startswith("产品默认条款：费率 1%")
