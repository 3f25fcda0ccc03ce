"""Entries for the URL isolation registry (tests/test_url_isolation.py, merged there by hand): the
institution's settlement URLs point at institution B's settlement, which A's admin must not reach; the 数银
URLs take any id (数银's roles see every institution's settlements).

``b_settlement(cast)`` disburses B's case (apps.cases.tests.isolation.b_case) through the real services,
which opens B's settlement."""

from apps.cases.tests.isolation import b_case
from apps.settlement.models import Settlement

INST_URLS = ["inst:settlement_detail", "inst:settlement_pay_cash", "inst:settlement_pay_offline",
             "inst:settlement_rate", "inst:settlement_statement_pdf", "inst:settlement_voucher"]


def b_settlement(c) -> Settlement:
    from apps.cases import services as cases
    from apps.common import clock

    case = b_case(c)
    found = Settlement.objects.filter(case=case).first()
    if found is not None:
        return found
    cases.case_allocate(actor=c.b_admin, case_id=case.pk, officer_id=c.b_admin.pk)
    cases.case_start_review(actor=c.b_admin, case_id=case.pk)
    cases.case_book_signing(actor=c.b_admin, case_id=case.pk, at=clock.now(), place="乙机构营业厅")
    cases.case_record_signing(actor=c.b_admin, case_id=case.pk, note="已签约")
    cases.case_disburse(actor=c.b_admin, case_id=case.pk, amount="50000", disbursed_on=clock.today(),
                        contract_no="ISO-HT-1", term_months=12, annual_rate="6")
    return Settlement.objects.get(case=case)


FOREIGN = {name: (lambda c: {"pk": b_settlement(c).pk}) for name in INST_URLS}
FOREIGN_DEFAULT_OK = {
    "ops:settlement_detail", "ops:settlement_confirm_amount", "ops:settlement_confirm_client",
    "ops:settlement_receipt", "ops:settlement_release", "ops:settlement_rate", "ops:settlement_statement_pdf",
    "ops:settlement_voucher", "ops:follow_up_done",
    "ops:settlement_commission_confirm", "ops:settlement_commission_adjust", "ops:settlement_commission_decide",
    # the platform's commission agreements (数银在线后台: not tenant data)
    "platform:agreement_end",
}
