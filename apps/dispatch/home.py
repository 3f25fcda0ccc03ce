from datetime import timedelta

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from apps.common import clock
from apps.common.cards import Card
from apps.common.templatetags.shuyin import dt

from .models import Candidate, Dispatch, LostCase


def inst_cards(request):
    user = request.user
    if not user.has_perm("dispatch.view_case"):
        return []
    from .selectors import offers_for_user

    root = user.organization.root_id
    # the open offers and the nearest of their own deadlines, in one query
    open_ = offers_for_user(user=user).filter(status="offered").aggregate(n=Count("pk"), at=Min("deadline"))
    waiting = open_["n"]
    lost = LostCase.objects.filter(institution_id=root, at__gte=clock.now() - timedelta(days=30)).count()
    note = _("最近截止：%(at)s") % {"at": dt(open_["at"])} if waiting else _("请在受理时限内答复")
    return [Card(_("待受理派单"), waiting, "inst:offer_list", note, "warning" if waiting else "", order=10),
            Card("符合条件流失单（近 30 天）", lost, "inst:dispatch_profile",
                 "因头寸或同时服务人数不足而错过的派单", "danger" if lost else "", order=40)]


def _redispatch_card(user) -> list[Card]:
    """派发失败（待贷审处理）: the applications 贷审 sends out again, counted from the status tally."""
    if not user.has_perm("dispatch.redispatch"):
        return []
    from apps.applications.models import Status
    from apps.applications.selectors import tally_for_user

    n = tally_for_user(user=user).aggregate(n=Coalesce(Sum("n", filter=Q(status=Status.REDISPATCH)), 0))["n"]
    return [Card(_("待重新派发"), n, "ops:redispatch_queue", _("派发失败，待贷审重新派发或退回"),
                 "danger" if n else "", order=19)]


def ops_cards(request):
    user = request.user
    cards = _redispatch_card(user)
    if not user.has_perm("dispatch.intervene"):
        return cards
    now = clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    live = Dispatch.objects.filter(status__in=Dispatch.LIVE).count()
    started = Dispatch.objects.filter(started_at__gte=today).count()
    # an offer past its own deadline that the sweep has not lapsed yet
    overdue = Candidate.objects.filter(status=Candidate.Status.OFFERED, deadline__lt=now).count()
    link = "ops:dispatch_monitor"
    return cards + [Card("派发中 / 待客户确认", live, link, order=20), Card("今日派发", started, link, order=21),
            Card("超时未处理的派单", overdue, link, "超过机构受理时限、等待系统处理", "danger" if overdue else "", order=22)]
