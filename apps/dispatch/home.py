from datetime import timedelta


from apps.common import clock
from apps.common.cards import Card

from .models import Candidate, Dispatch, LostCase


def inst_cards(request):
    user = request.user
    if not user.has_perm("dispatch.view_case"):
        return []
    from .selectors import offers_for_user

    root = user.organization.root_id
    waiting = offers_for_user(user=user).filter(status="offered").count()
    lost = LostCase.objects.filter(institution_id=root, at__gte=clock.now() - timedelta(days=30)).count()
    return [Card("待受理派单", waiting, "inst:offer_list", "请在受理时限内答复", "warning" if waiting else "",
                 order=10),
            Card("符合条件流失单（近 30 天）", lost, "inst:dispatch_profile",
                 "因头寸或同时服务人数不足而错过的派单", "danger" if lost else "", order=40)]


def ops_cards(request):
    user = request.user
    if not user.has_perm("dispatch.intervene"):
        return []
    now = clock.now()
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    live = Dispatch.objects.filter(status__in=Dispatch.LIVE).count()
    started = Dispatch.objects.filter(started_at__gte=today).count()
    # an offer past its own deadline that the sweep has not lapsed yet
    overdue = Candidate.objects.filter(status=Candidate.Status.OFFERED, deadline__lt=now).count()
    link = "ops:dispatch_monitor"
    return [Card("派发中 / 待客户确认", live, link, order=20), Card("今日派发", started, link, order=21),
            Card("超时未处理的派单", overdue, link, "超过机构受理时限、等待系统处理", "danger" if overdue else "", order=22)]
