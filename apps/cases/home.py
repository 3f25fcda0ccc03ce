from django.db.models import Count, Q
from django.utils.translation import gettext as _

from apps.common.cards import Card

from .models import Case
from .selectors import cases_for_user


def inst_cards(request):
    if not request.user.has_perm("cases.view_case"):
        return []
    S = Case.Status
    counts = cases_for_user(user=request.user).aggregate(
        new=Count("pk", filter=Q(status=S.NEW)), signing=Count("pk", filter=Q(status=S.SIGNING)),
        signed=Count("pk", filter=Q(status=S.SIGNED)), open=Count("pk", filter=Q(status__in=Case.OPEN)))
    link = "inst:case_list"

    def todo(key, title, note, order):
        return Card(title, counts[key], link, note, "warning" if counts[key] else "", order, query=f"status={key}")

    # 待分配 only for who allocates; 待面签 / 已面签（待放款） for who handles the cases
    cards = ([todo("new", _("待分配案件"), _("分配给业务员办理"), 11)]
             if request.user.has_perm("cases.allocate_case") else [])
    if request.user.has_perm("cases.handle_case"):
        cards += [todo("signing", _("待面签案件"), _("面签后记录签约"), 13),
                  todo("signed", _("已面签待放款"), _("放款后记录放款"), 14)]
    return cards + [Card(_("在办案件"), counts["open"], link, order=15)]
