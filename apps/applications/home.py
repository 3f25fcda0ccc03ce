"""工作台 cards of the application queues a customer manager (客户经理) or team leader (客户组长) acts on: 草稿,
待补充资料 and 待客户确认机构 with the nearest client deadline. The counts come from the status tally (one query
whatever the number of applications), the deadline from one MIN over the open dispatches, so the home page's
query count stays fixed. The review queues (客服, 贷审, 待仲裁, 主管) are counted by ``ops_queue_counts``."""
from django.db.models import Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from apps.common.cards import Card
from apps.common.templatetags.shuyin import dt

from .models import Status
from .selectors import application_list_for_user, tally_for_user

# (status, title, tone when non-zero, note)
MINE = [(Status.DRAFT, _l("草稿（待提交）"), "", _l("创建后尚未提交审核的申请")),
        (Status.SUPPLEMENT, _l("待补充资料"), "warning", _l("贷审要求补充资料，补齐后重新提交")),
        (Status.AWAITING_CHOICE, _l("待客户确认机构"), "warning", "")]
TEAM = [(Status.SUPPLEMENT, _l("团队待补充资料"), "warning", ""),
        (Status.AWAITING_CHOICE, _l("团队待客户确认机构"), "warning", "")]


def _nearest_choice(user):
    from apps.dispatch.models import Dispatch

    return (Dispatch.objects.filter(status=Dispatch.Status.CHOOSING,
                                    application__in=application_list_for_user(user=user)
                                    .filter(status=Status.AWAITING_CHOICE).values("pk"))
            .aggregate(at=Min("choice_deadline"))["at"])


def _handover_card(user) -> list[Card]:
    """客户移交 requests waiting for this user's decision (as the owning CM, their superior or a 客户组长 above)."""
    if not user.has_perm("applications.decide_handover"):
        return []
    from .handover import handovers_for_user
    from .models import Handover

    n = handovers_for_user(user=user).filter(status=Handover.Status.PENDING).exclude(to_cm=user).count()
    return [Card(_("待审批的客户移交"), n, "ops:handover_list", _("其他客户经理申请接手的客户"),
                 "warning" if n else "", 4)]


def ops_cards(request):
    return _queue_cards(request) + _handover_card(request.user)


def _queue_cards(request):
    user = request.user
    if user.has_perm("applications.submit_application"):
        rows, queue, order = MINE, "ops:queue_mine", 1
    elif user.has_perm("applications.view_team"):
        rows, queue, order = TEAM, "ops:queue_team", 5
    else:
        return []
    counts = tally_for_user(user=user).aggregate(**{code: Coalesce(Sum("n", filter=Q(status=code)), 0)
                                                   for code, *_rest in rows})
    cards = []
    for i, (code, title, tone, note) in enumerate(rows):
        n = counts[code]
        if code == Status.AWAITING_CHOICE and n:
            at = _nearest_choice(user)
            note = _("最近截止：%(at)s") % {"at": dt(at)} if at else note
        cards.append(Card(str(title), n, queue, str(note), tone if n else "", order + i,
                          query=f"status={code}"))
    return cards
