from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from apps.common import clock
from apps.common.cards import Card

from .models import CommissionAdjustment, Settlement
from .selectors import settlements_for_user

S = Settlement.Status
# the step each role takes on a settlement: key (also the status tab it links to): permission, rows, title, note
ACTIONS = {
    "confirming": ("settlement.confirm_amount", Q(status=S.CONFIRMING, of_confirmed_at__isnull=True),
                   _l("待确认放款金额"), _l("与机构核对实际放款金额")),
    "commission": ("settlement.confirm_commission", Q(status=S.COMMISSION), _l("待确认佣金"),
                   _l("核对佣金后出账单")),
    "paid": ("settlement.confirm_receipt", Q(status=S.PAID), _l("待确认收款"), _l("机构已付款，核对到账")),
    "confirmed": ("settlement.release_hold", Q(status=S.CONFIRMED), _l("待恢复头寸"), _l("收款已确认，释放冻结头寸")),
    "client": ("settlement.confirm_client", Q(status=S.CONFIRMING, cm_confirmed_at__isnull=True),
               _l("待确认客户到账"), _l("与客户确认款项到账")),
}


def _counts(user):
    today = clock.today()
    return settlements_for_user(user=user).aggregate(
        due=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__gte=today,
                                 due_date__lte=today + timedelta(days=3))),
        overdue=Count("pk", filter=Q(status=Settlement.Status.STATEMENT, due_date__lt=today)),
        **{key: Count("pk", filter=cond) for key, (_perm, cond, *_rest) in ACTIONS.items()},
        review=Count("pk", filter=Q(Exists(CommissionAdjustment.objects.filter(settlement=OuterRef("pk"),
                                                                                status="pending")))))


def inst_cards(request):
    if not request.user.has_perm("settlement.view_settlement"):
        return []
    c = _counts(request.user)
    link = "inst:settlement_list"
    return [Card("3 天内到期的结算单", c["due"], link, order=30),
            Card("逾期未付结算单", c["overdue"], link, "逾期将影响派单", "danger" if c["overdue"] else "", order=31)]


def ops_cards(request):
    if not request.user.has_perm("settlement.view_settlement"):
        return []
    c = _counts(request.user)
    link = "ops:settlement_list"
    review = ([Card("待复核佣金调整", c["review"], link, "跟单员提出的佣金调整，需另一人复核",
                    "warning" if c["review"] else "", order=29)]
              if request.user.has_perm("settlement.approve_commission") else [])
    user = request.user
    todo = [Card(str(title), c[key], link, str(note), "warning" if c[key] else "", 25 + i,
                 query=f"status={S.CONFIRMING if key == 'client' else key}")
            for i, (key, (perm, _cond, title, note)) in enumerate(ACTIONS.items()) if user.has_perm(perm)]
    return review + todo + [Card(_("3 天内到期的结算单"), c["due"], link, order=31),
                            Card(_("逾期未付结算单"), c["overdue"], link, tone="danger" if c["overdue"] else "",
                                 order=32)]
