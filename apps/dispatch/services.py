"""Every write of dispatch (系统派发流程).

Locking: a service locks the application row first, then its live dispatch, then the candidates it
changes; the capacity counter and the margin account are compare-and-set single statements. The timer
sweep takes due ``Timer`` rows with ``FOR UPDATE SKIP LOCKED`` before it takes the application; person
actions never lock timer rows (an extension inserts a new timer and the stale one fires as a no-op), so
the two orders cannot deadlock. Every transition re-checks the state under the lock, so a person and a
sweep (or two sweeps) racing on the same case change it exactly once.

Time comes from ``apps.common.clock``; every window is a system parameter read per call."""
import contextvars
import logging
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _, gettext_lazy

from apps.accounts.models import Organization, User
from apps.applications.models import Application, Status as AppStatus
from apps.applications.selectors import application_list_for_user
from apps.applications.services import application_link, reviewers, status_apply
from apps.applications.pages import page_generation
from apps.common import clock, pagecache
from apps.common.db import retry_on_conflict
from apps.common.params import params_get_many
from apps.common.transitions import LogTable, Notice, Workflow
from apps.messaging.services import message_send
from apps.positions.services import LedgerError, hold_place, hold_release, institution_accounts
from apps.webhooks import services as webhooks

from . import hooks, scoring, selectors, stats
from .models import (Candidate, coverage_keys, CategoryRequest, DeclineReason, Dispatch, Event, LostCase, Profile, ProfileProduct,
                     Round, ServiceArea, Timer)

C = Candidate.Status
log = logging.getLogger(__name__)
PARAM_KEYS = ["dispatch.round_size", "dispatch.max_rounds", "dispatch.round_minutes", "dispatch.offer_minutes",
              "dispatch.window_minutes", "dispatch.choice_minutes"]
HOLD_REF = "application"


def _params() -> dict:
    """The dispatch windows and the score weights, one query per operation."""
    return params_get_many(PARAM_KEYS + scoring.WEIGHT_KEYS)


def _event(dispatch: Dispatch, text: str, *, now, actor=None) -> None:
    event = Event(dispatch=dispatch, at=now, actor=actor, text=text[:300])
    batch = _BATCH.get()
    if batch is not None:  # the sweep writes a batch's events in one statement (in the order they happened)
        batch.events.append(event)
    else:
        event.save()


def _notify(*, institutions=(), users=(), title: str, link: str = "", codename: str = "answer_case",
            event: str = "") -> None:
    """站内信 to users and to the users of institutions holding ``codename`` (workflow messages; ``event`` as for
    ``message_send``); inside the sweep's batch they are written with the batch's other messages in two
    statements."""
    batch = _BATCH.get()
    if batch is not None:
        batch.messages.append((tuple(institutions), tuple(users), codename, title, link, event))
        return
    recipients = list(users) + (list(institution_users(*institutions, codename=codename)) if institutions else [])
    message_send(recipients=recipients, category="workflow", title=title, link=link, event=event)


class _Hooks:
    """Webhook events of a batch: one query finds the institutions with an endpoint for any of them, and only
    those are recorded (``webhooks.emit``, which would otherwise ask once per offer)."""

    def __init__(self):
        self.items: list[tuple] = []

    def add(self, institution_id: int, event: str, payload: dict) -> None:
        self.items.append((institution_id, event, payload))

    def flush(self) -> None:
        if not self.items:
            return
        from apps.webhooks.models import Endpoint

        listening = set()
        for inst, events in Endpoint.objects.filter(
                institution_id__in={i for i, _e, _p in self.items}, is_active=True).values_list("institution_id",
                                                                                                 "events"):
            listening |= {(inst, e) for e in events}
        for inst, event, payload in self.items:
            if (inst, event) in listening:
                webhooks.emit(inst, event, payload)


class _Batch:
    """What the sweep's batch writes at its end: events, messages, page generations."""

    def __init__(self):
        self.events: list[Event] = []
        self.messages: list[tuple] = []
        self.pages: set[int] = set()
        self.hooks = _Hooks()

    def flush(self) -> None:
        from apps.messaging.models import Message
        from apps.messaging.selectors import unread_generation
        from apps.notifications.services import notify_on_commit

        Event.objects.bulk_create(self.events)
        users_of: dict[tuple, set] = {}
        wanted = {(i, m[2]) for m in self.messages for i in m[0]}
        for codename in {c for _inst, c in wanted}:
            ids = sorted({i for i, c in wanted if c == codename})
            for uid, path in (User.objects.filter(
                    is_active=True, organization__path__regex=r"^/({})/".format("|".join(str(int(i)) for i in ids)),
                    roles__is_active=True, roles__permissions__codename=codename)
                    .values_list("pk", "organization__path").distinct()):
                users_of.setdefault((int(path.split("/")[1]), codename), set()).add(uid)
        rows, events, readers = [], [], set()
        for institutions, users, codename, title, link, event in self.messages:
            ids = {getattr(u, "pk", u) for u in users} | {
                uid for i in institutions for uid in users_of.get((i, codename), ())}
            ids.discard(None)
            rows += [Message(recipient_id=i, category="workflow", title=title[:200], body="", link=link[:300])
                     for i in sorted(ids)]
            events += [event] * len(ids)
            readers |= ids
        created = Message.objects.bulk_create(rows)
        by_event: dict[str, list[int]] = {}
        for message, event in zip(created, events):
            by_event.setdefault(event, []).append(message.pk)
        for event, ids in by_event.items():  # the channels each recipient chose, after the commit
            notify_on_commit(message_ids=ids, event=event)
        self.hooks.flush()
        pagecache.bump(*(unread_generation(i) for i in sorted(readers)),
                       *(page_generation(pk) for pk in sorted(self.pages)))


_BATCH: contextvars.ContextVar = contextvars.ContextVar("dispatch_sweep_batch", default=None)


def _page_changed(application_id: int) -> None:
    batch = _BATCH.get()
    if batch is not None:
        batch.pages.add(application_id)
    else:
        pagecache.bump(page_generation(application_id))


def institution_users(*institution_ids: int, codename: str = "answer_case"):
    """Active users of these institutions (any of their units) holding the permission code."""
    return User.objects.filter(is_active=True, organization__path__regex=r"^/(%s)/" % "|".join(
        str(int(i)) for i in institution_ids), roles__is_active=True,
        roles__permissions__codename=codename).values_list("pk", flat=True).distinct()


def _lock_application(application_id: int) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("product", "region").get(
        pk=application_id)


def _lock_live(app: Application) -> Dispatch | None:
    return Dispatch.objects.select_for_update().filter(application=app, status__in=Dispatch.LIVE).first()


def _app_link(app) -> str:
    return application_link(app)


def _offers_link(history: bool = False) -> str:
    return reverse("inst:offer_list") + ("?tab=history" if history else "")


def _choice_link(app) -> str:
    return reverse("ops:dispatch_choice", args=[app.pk])


def _lock_offer_row(actor, candidate_id: int) -> Candidate:
    """An offer for the kernel: the application, its live dispatch, then the offer (the lock order above); the
    offer carries the locked application and dispatch."""
    ref = selectors.offers_for_user(user=actor).filter(pk=candidate_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = _lock_application(ref["application_id"])
    dispatch = _lock_live(app)
    cand = Candidate.objects.select_for_update(of=("self",)).select_related("round", "institution").get(pk=candidate_id)
    cand.application = app
    if dispatch is not None and dispatch.pk == cand.dispatch_id:
        cand.dispatch = dispatch
    cand.live = dispatch
    return cand


def _offer_open(cand: Candidate):
    """An offer may be answered while its dispatch runs and before its own deadline; returns now."""
    now = clock.now()
    if cand.live is None or cand.live.pk != cand.dispatch_id or cand.live.status != Dispatch.Status.RUNNING \
            or now >= cand.deadline:
        raise ValidationError(_("该派单已超过受理时限，不能再处理。"))
    return now


def _lock_choice(actor, application_id: int) -> Dispatch:
    """The CM's own application, then its live dispatch (carrying the locked application)."""
    if application_list_for_user(user=actor).filter(pk=application_id, cm=actor).first() is None:
        raise Http404
    app = _lock_application(application_id)
    dispatch = _lock_live(app)
    if dispatch is None or not dispatch.accepted_count or dispatch.choice_deadline is None:
        raise ValidationError(_("该申请当前不在客户选择阶段（尚无机构受理，或已选定、已超时退回），请刷新页面。"))
    dispatch.application = app
    return dispatch


OFFER_STEPS = {"accept": ("accept", "dispatch.answer_case"), "decline": ("decline", "dispatch.answer_case")}


def offer_answerable(*, user, cand: Candidate) -> bool:
    """The institution may answer an offer the state machine still allows answering, before its own deadline."""
    return bool(OFFERS.allowed(cand, user, OFFER_STEPS, who=lambda c, u, name: c.deadline > clock.now()))


EVENTS = LogTable(Event, "dispatch")
OFFERS: Workflow[Candidate] = Workflow(
    lock=_lock_offer_row, log=LogTable(Event, "dispatch", subject=lambda cand: cand.dispatch), send=message_send,
    refused=gettext_lazy("该派单已处理（%(status)s），请刷新页面。"))
DISPATCHES: Workflow[Dispatch] = Workflow(
    lock=_lock_choice, log=EVENTS, send=message_send,
    refused=gettext_lazy("该申请当前不在客户选择阶段（尚无机构受理，或已选定、已超时退回），请刷新页面。"))


# ---- starting a dispatch ----

def dispatch_start(*, application_id: int, actor=None, level: str | None = None,
                   only_ready: bool = False) -> Dispatch | None:
    """Start dispatching an application that is 待派发 (or back with 贷审 after a failed dispatch). Returns
    None when it is no longer in such a status (someone else started it). The automatic starts (the review
    hook, the sweep's safety net) pass ``only_ready``: an application another start has meanwhile dispatched
    and failed is 贷审's to re-dispatch, not theirs."""
    with transaction.atomic(), stats.collecting():
        app = _lock_application(application_id)
        if app.status not in ((AppStatus.READY,) if only_ready else (AppStatus.READY, AppStatus.REDISPATCH)):
            return None
        previous = app.dispatches.order_by("-attempt").first()
        levels = selectors.cluster_levels()
        if level is None:
            level = levels[0] if previous is None else _next_level(levels, previous.level)
        values, now = _params(), clock.now()
        dispatch = Dispatch.objects.create(application=app, attempt=previous.attempt + 1 if previous else 1,
                                           level=level, started_at=now,
                                           cutoff_at=now + timedelta(minutes=values["dispatch.window_minutes"]))
        status_apply(app, "dispatch_start", actor=actor,
                     comment=f"第 {dispatch.attempt} 次派发，区域层级：{selectors.level_name(level)}")
        _event(dispatch, f"开始第 {dispatch.attempt} 次派发（{selectors.level_name(level)}）", now=now, actor=actor)
        if _round_open(app, dispatch, now, values) is None:
            _finish(app, dispatch, now, values, reason="无符合条件的机构")
        return dispatch


def _next_level(levels: list[str], current: str) -> str:
    index = levels.index(current) if current in levels else -1
    return levels[min(index + 1, len(levels) - 1)]


def redispatch_levels(app: Application) -> tuple[list[str], str | None]:
    """The levels 贷审 may dispatch at again (the last one used and wider) and the default (the next one)."""
    levels = selectors.cluster_levels()
    previous = app.dispatches.order_by("-attempt").first()
    if previous is None or previous.level not in levels:
        return levels, levels[0]
    index = levels.index(previous.level)
    return levels[index:], levels[min(index + 1, len(levels) - 1)]


def redispatch(*, actor, application_id: int, level: str, comment: str = "") -> Dispatch:
    """贷审 dispatches an application again after no institution accepted or the client did not choose."""
    if not actor.has_perm("dispatch.redispatch"):
        raise PermissionDenied("dispatch.redispatch")
    app = application_list_for_user(user=actor).filter(pk=application_id).first()
    if app is None:
        raise Http404
    if not redispatch_allowed(app):
        raise ValidationError(_("该申请当前状态为“%(s)s”，不能重新派发，请刷新页面。") % {"s": app.get_status_display()})
    allowed, _default = redispatch_levels(app)
    if level not in allowed:
        raise ValidationError(_("请选择有效的派发区域层级。"))
    with transaction.atomic():
        locked = _lock_application(application_id)
        if locked.status == AppStatus.LR_REVIEW and redispatch_allowed(locked):
            # back from an institution that could not lend (回到待审): re-reviewed and dispatched again
            if not actor.has_perm("applications.review_lr"):
                raise PermissionDenied("applications.review_lr")
            status_apply(locked, "lr_pass", actor=actor, comment=f"贷审复审通过，再次派发。{comment}".strip())
        dispatch = dispatch_start(application_id=application_id, actor=actor, level=level)
        if dispatch is None:
            raise ValidationError(_("该申请已被他人处理，请刷新页面。"))
        if comment:
            _event(dispatch, f"贷审说明：{comment}", now=clock.now(), actor=actor)
        return dispatch


def redispatch_allowed(app: Application) -> bool:
    """派发失败 waits for 贷审; an application back in 待贷审审核 after dispatch (the institution could not
    lend) may be dispatched again from review too."""
    return app.status == AppStatus.REDISPATCH or (
        app.status == AppStatus.LR_REVIEW and app.dispatches.exists())


def dispatch_start_pending(*, limit: int = 200) -> int:
    """Safety net for the on_ready hook: start any application still 待派发 (e.g. the web process died
    between the commit and the hook). Each start locks and re-checks, so racing the hook is harmless."""
    started = 0
    for pk in Application.objects.filter(status=AppStatus.READY).order_by("pk").values_list("pk", flat=True)[:limit]:
        if dispatch_start(application_id=pk, only_ready=True) is not None:
            started += 1
    return started


# ---- rounds ----
#
# Two clocks, two parameters. Each offer has its own ``dispatch.offer_minutes`` (24 h: "是否接单（24 小时内
# 确认）") from the moment it was sent; an OFFER timer lapses it then. The round's deadline is only the refill
# point ("自动补全三家", ``dispatch.round_minutes``): when it passes, or when every offer of the round has been
# answered, the places not yet accepted are offered to new institutions, while the offers already sent keep
# waiting for their answers. Rounds open only within ``dispatch.window_minutes`` of the first and at most
# ``dispatch.max_rounds`` of them ("24 小时之内派三轮(共九家)"). The dispatch runs until no offer is open and no
# round can open; the client may choose from the first acceptance ("满足条件一家以上则进入下一流程").

def _round_open(app, dispatch: Dispatch, now, values) -> Round | None:
    """Open the next round with (target − accepted) new institutions; None when the rules say stop."""
    if dispatch.round_count >= values["dispatch.max_rounds"] or now >= dispatch.cutoff_at:
        return None
    n = values["dispatch.round_size"] - dispatch.accepted_count
    if n <= 0:
        return None
    scoring.scores_ensure_current(values)
    picked, near = selectors.pick(app, dispatch.level, n, lost=True)  # one statement for both
    for profile, reason in selectors.lost_of(near, n, picked):
        _record_lost(profile, app, reason, now)
    if not picked:
        return None
    number = dispatch.round_count + 1
    refill_at = min(now + timedelta(minutes=values["dispatch.round_minutes"]), dispatch.cutoff_at)
    offer_deadline = now + timedelta(minutes=values["dispatch.offer_minutes"])
    rnd = Round.objects.create(dispatch=dispatch, number=number, started_at=now, deadline=refill_at)
    offers = Candidate.objects.bulk_create([
        Candidate(dispatch=dispatch, round=rnd, application=app, institution_id=p.institution_id, profile_id=p.pk,
                  rank=i, score=p.score, parts=p.score_parts, offered_at=now, deadline=offer_deadline)
        for i, p in enumerate(picked, start=1)])
    stats.dispatched([p.pk for p in picked], now)
    for offer in offers:
        webhooks.emit(offer.institution_id, "offer.created", webhooks.offer_payload(offer, app))
    dispatch.round_count = number
    dispatch.save(update_fields=["round_count"])
    Timer.objects.create(kind=Timer.Kind.ROUND, dispatch=dispatch, round=rnd, due_at=refill_at)
    Timer.objects.create(kind=Timer.Kind.OFFER, dispatch=dispatch, round=rnd, due_at=offer_deadline)
    names = dict(Organization.objects.filter(pk__in=[p.institution_id for p in picked]).values_list("pk", "name"))
    _event(dispatch, f"第 {number} 轮派发：" + "、".join(names[p.institution_id] for p in picked)
           + f"，各家受理截止 {clock_text(offer_deadline)}", now=now)
    _notify(institutions=[p.institution_id for p in picked], link=_offers_link(), event="offer.created",
            title=f"新的派单待受理：{app.product.name} {app.amount:,.2f} 元，请于 {clock_text(offer_deadline)} 前处理")
    return rnd


def clock_text(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%m-%d %H:%M")


def _record_lost(profile: Profile, app, reason: str, now) -> None:
    _, created = LostCase.objects.get_or_create(institution_id=profile.institution_id, application=app,
                                                defaults={"reason": reason, "at": now})
    if created:
        stats.record(profile.pk, lost_count=1)


def _round_close(dispatch: Dispatch, rnd: Round, now, *, reason: str) -> None:
    """Close a round (its refill point passed, all its offers were answered, or 跟单 ended it). Offers still
    open stay open: each has its own deadline."""
    rnd.closed_at, rnd.close_reason = now, reason[:100]
    rnd.save(update_fields=["closed_at", "close_reason"])
    _timers_retire(rnd.timers.filter(kind=Timer.Kind.ROUND), now, reason)


def _offers_withdraw(app, dispatch: Dispatch, now, *, reason: str, round_id: int | None = None, actor=None) -> int:
    """Withdraw offers still open (places filled, the client chose, 跟单 ended the round): status 已撤回, no
    hold was ever placed, and they are not counted against the institutions — the offer leaves the
    abandonment rate's base too (派单数 − 1). Each institution is told by 站内信. Returns how many."""
    qs = dispatch.candidates.select_for_update(of=("self",)).filter(status=C.OFFERED)
    if round_id is not None:
        qs = qs.filter(round_id=round_id)
    open_offers = list(qs.order_by("pk").values_list("pk", "profile_id", "institution_id", "institution__name"))
    if not open_offers:
        return 0
    Candidate.objects.filter(pk__in=[o[0] for o in open_offers]).update(status=C.CANCELLED, resolved_at=now)
    _page_changed(app.pk)  # update() sends no signal: the application page lists its offers
    for _pk, profile_id, _inst, _name in open_offers:
        stats.record(profile_id, dispatched_count=-1)
        webhooks.emit(_inst, "offer.withdrawn", {"offer_id": _pk, "order_no": app.order_no, "reason": reason})
    _event(dispatch, f"撤回仍在受理中的派单（{reason}）：" + "、".join(o[3] for o in open_offers), now=now, actor=actor)
    for _pk, _profile, institution_id, _name in open_offers:
        _notify(institutions=[institution_id], link=_offers_link(history=True), event="offer.withdrawn",
                title=f"派单 {app.order_no} 已撤回：{reason}（不计入贵机构弃单率）")
    return len(open_offers)


def _offers_lapse(dispatch: Dispatch, now) -> list[int]:
    """Offers whose own deadline has passed lapse (超时未处理, counted against the institution). Returns the
    rounds they belonged to."""
    due = list(dispatch.candidates.select_for_update(of=("self",)).filter(status=C.OFFERED, deadline__lte=now)
               .order_by("pk").values_list("pk", "profile_id", "institution__name", "round_id", "institution_id"))
    if not due:
        return []
    Candidate.objects.filter(pk__in=[o[0] for o in due]).update(status=C.LAPSED, resolved_at=now)
    _page_changed(dispatch.application_id)
    for offer in due:
        stats.record(offer[1], lapsed_count=1)
        webhooks.emit(offer[4], "offer.lapsed", {"offer_id": offer[0], "application_id": dispatch.application_id})
    _event(dispatch, "受理时限已到，超时未处理：" + "、".join(o[2] for o in due), now=now)
    return sorted({o[3] for o in due})


def _timers_retire(timers, now, outcome: str) -> None:
    """Mark the pending timers of something that ended as done. SKIP LOCKED: a timer the sweep holds right
    now is left to it (it will find the round or dispatch closed), so this never waits on the sweep."""
    ids = list(timers.filter(done_at__isnull=True).select_for_update(skip_locked=True).values_list("pk", flat=True))
    if ids:
        Timer.objects.filter(pk__in=ids).update(done_at=now, outcome=f"已结束：{outcome}"[:100])


def _close_running(app, dispatch: Dispatch, now, *, reason: str, actor=None) -> int:
    """The dispatch stops sending and waiting: open offers are withdrawn and open rounds closed."""
    withdrawn = _offers_withdraw(app, dispatch, now, reason=reason, actor=actor)
    for open_round in dispatch.rounds.select_for_update().filter(closed_at__isnull=True):
        _round_close(dispatch, open_round, now, reason=reason)
    _timers_retire(dispatch.timers.filter(kind=Timer.Kind.OFFER), now, reason)
    return withdrawn


def _advance(app, dispatch: Dispatch, now, values) -> None:
    """After something changed (an answer, a lapse, a round's refill point): all places accepted → the
    dispatch ends (open offers withdrawn); otherwise open another round if the rules allow, and end the
    dispatch once no offer is open and no round can open."""
    if dispatch.accepted_count >= values["dispatch.round_size"]:
        _close_running(app, dispatch, now, reason="受理名额已满")
        _finish(app, dispatch, now, values)
        return
    if not dispatch.rounds.filter(closed_at__isnull=True).exists():
        if _round_open(app, dispatch, now, values) is None and not dispatch.candidates.filter(status=C.OFFERED).exists():
            _finish(app, dispatch, now, values)


def _first_acceptance(app, dispatch: Dispatch, now, values, cand: Candidate) -> None:
    """"满足条件一家以上则进入下一流程": from the first acceptance the CM may record the client's choice; the
    client's 3 days run from now and are never shortened, while offers still open may add choices."""
    dispatch.choice_deadline = dispatch.first_accepted_at + timedelta(minutes=values["dispatch.choice_minutes"])
    dispatch.save(update_fields=["choice_deadline"])
    Timer.objects.create(kind=Timer.Kind.CHOICE, dispatch=dispatch, due_at=dispatch.choice_deadline)
    pending = dispatch.candidates.filter(status=C.OFFERED).count()
    text = (f"{cand.institution.name} 已受理，客户可于 {clock_text(dispatch.choice_deadline)} 前确认机构"
            + (f"；另有 {pending} 家机构仍在受理中" if pending else ""))
    if app.status == AppStatus.DISPATCHING:
        status_apply(app, "dispatch_accepted", comment=text)
    _event(dispatch, text, now=now)
    message_send(recipients=[app.cm_id], category="workflow", link=_choice_link(app),
                 title=f"贷款申请 {app.order_no} 已有机构受理，可录入客户选择（{clock_text(dispatch.choice_deadline)} 前）")


def _finish(app, dispatch: Dispatch, now, values: dict, *, reason: str = "") -> None:
    if dispatch.accepted_count:
        dispatch.to_choice()
        if dispatch.choice_deadline is None:  # a dispatch started before choices opened at the first acceptance
            dispatch.choice_deadline = max(dispatch.first_accepted_at + timedelta(
                minutes=values["dispatch.choice_minutes"]), now)
            Timer.objects.create(kind=Timer.Kind.CHOICE, dispatch=dispatch, due_at=dispatch.choice_deadline)
        dispatch.save(update_fields=["status", "choice_deadline"])
        _timers_retire(dispatch.timers.exclude(kind=Timer.Kind.CHOICE), now, "派发结束，待客户确认")
        text = f"派发结束：{dispatch.accepted_count} 家机构已受理，待客户于 {clock_text(dispatch.choice_deadline)} 前确认"
        if app.status == AppStatus.DISPATCHING:
            status_apply(app, "dispatch_accepted", comment=text)
        _event(dispatch, text, now=now)
        _notify(users=[app.cm_id], link=_choice_link(app),
                title=f"贷款申请 {app.order_no} 派发结束，共 {dispatch.accepted_count} 家机构受理，请录入客户选择")
        return
    if not reason:
        reason = ("派发总时限已到" if now >= dispatch.cutoff_at else f"已派发 {dispatch.round_count} 轮") + "，无机构受理" \
            if dispatch.round_count else "无符合条件的机构"
    dispatch.fail()
    dispatch.closed_at, dispatch.outcome = now, reason
    dispatch.save(update_fields=["status", "closed_at", "outcome"])
    _timers_retire(dispatch.timers.all(), now, reason)
    status_apply(app, "dispatch_fail", comment=f"派发失败：{reason}，退回贷审")
    _event(dispatch, f"派发结束：{reason}", now=now)
    _notify(users=list(reviewers("review_lr")) + [app.cm_id], link=_app_link(app),
            title=f"贷款申请 {app.order_no} 派发失败（{reason}），待贷审扩大区域重新派发或拒绝")


def _after_answer(app, dispatch: Dispatch, rnd: Round, now, values: dict) -> None:
    if rnd.closed_at is None and not rnd.candidates.filter(status=C.OFFERED).exists():
        _round_close(dispatch, rnd, now, reason="本轮机构均已答复")
    _advance(app, dispatch, now, values)


# ---- the institution answers (可受理贷款) ----

def _lock_offer(actor, candidate_id: int):
    if not actor.has_perm("dispatch.answer_case"):
        raise PermissionDenied("dispatch.answer_case")
    ref = selectors.offers_for_user(user=actor).filter(pk=candidate_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = _lock_application(ref["application_id"])
    dispatch = _lock_live(app)
    cand = Candidate.objects.select_for_update(of=("self",)).select_related("round", "institution").get(pk=candidate_id)
    if cand.status != C.OFFERED:
        raise ValidationError(_("该派单已处理（%(s)s），请刷新页面。") % {"s": cand.get_status_display()})
    now = clock.now()
    if dispatch is None or dispatch.pk != cand.dispatch_id or dispatch.status != Dispatch.Status.RUNNING \
            or now >= cand.deadline:
        raise ValidationError(_("该派单已超过受理时限，不能再处理。"))
    return app, dispatch, cand, now


class _NoCapacity(Exception):
    pass


def _capacity_free(profile_id: int) -> bool:
    return Profile.objects.filter(pk=profile_id, active_cases__lt=F("capacity")).exists()


@retry_on_conflict
def offer_accept(*, actor, candidate_id: int) -> Candidate:
    """Accept a case: takes a unit of capacity and places the product's per-case hold on the margin. Without
    either, the accept is refused (status 受理失败, counted as a lost case) and the caller shows why.

    1. lock application, dispatch, offer; 2. a free unit of capacity? (read); 3. place the hold (margin
    row); 4. at commit the stats collector takes the unit in profile-id order; if another accept took the
    last unit meanwhile (``CapacityFull``), everything is undone and the offer is answered again as a
    refusal."""
    try:
        return _offer_accept(actor=actor, candidate_id=candidate_id, capacity_gone=False)
    except stats.CapacityFull:
        return _offer_accept(actor=actor, candidate_id=candidate_id, capacity_gone=True)


def _offer_accept(*, actor, candidate_id: int, capacity_gone: bool) -> Candidate:
    with transaction.atomic(), stats.collecting():
        app, dispatch, cand, now = _lock_offer(actor, candidate_id)
        refusal = None
        try:
            with transaction.atomic():
                if capacity_gone or not _capacity_free(cand.profile_id):
                    raise _NoCapacity
                hold = hold_place(institution=cand.institution, ref_type=HOLD_REF, ref_id=app.pk,
                                  amount=app.product.hold_amount, memo=f"{app.order_no} 受理冻结")
                stats.capacity_take(cand.profile_id)
        except _NoCapacity:
            refusal = (LostCase.Reason.CAPACITY, "同时服务人数已满，不能受理。请先办结在办案件，或由机构管理员在“派发参数详情”中调高同时服务人数。")
        except LedgerError as exc:
            refusal = (LostCase.Reason.POSITION, f"{exc.messages[0]} 请充值或划转保证金后再受理新的派单。")
        cand.answered_at, cand.answered_by = now, actor
        if refusal:
            cand.refuse()
            cand.refuse_reason, cand.resolved_at = refusal[1][:200], now
            cand.save()
            _record_lost(cand.profile, app, refusal[0], now)
            _event(dispatch, f"{cand.institution.name} 受理失败：{refusal[1]}", now=now, actor=actor)
        else:
            cand.accept()
            cand.hold_id = hold.pk
            cand.save()
            dispatch.accepted_count += 1
            dispatch.first_accepted_at = dispatch.first_accepted_at or now
            dispatch.save(update_fields=["accepted_count", "first_accepted_at"])
            stats.answered(cand.profile_id, accepted_count=1)
            _event(dispatch, f"{cand.institution.name} 已受理，冻结头寸 {app.product.hold_amount:,.2f} 元", now=now,
                   actor=actor)
        values = _params()
        if not refusal and dispatch.choice_deadline is None:
            _first_acceptance(app, dispatch, now, values, cand)
        _after_answer(app, dispatch, cand.round, now, values)
        return cand


@retry_on_conflict
def offer_decline(*, actor, candidate_id: int, code: str, text: str = "") -> Candidate:
    if code not in DeclineReason.values:
        raise ValidationError(_("请选择拒绝原因。"))
    text = (text or "").strip()
    if code == DeclineReason.OTHER and not text:
        raise ValidationError(_("选择“其他”时请填写拒绝说明。"))
    answered = {}

    def check(cand):
        answered["now"] = now = _offer_open(cand)
        cand.decline_code, cand.decline_text = code, text[:300]
        cand.answered_at, cand.answered_by, cand.resolved_at = now, actor, now
        return f"{cand.institution.name} 拒绝：{DeclineReason(code).label}{('，' + text) if text else ''}"

    def after(cand):
        stats.answered(cand.profile_id, declined_count=1)
        _after_answer(cand.application, cand.dispatch, cand.round, answered["now"], _params())

    return OFFERS.run(actor=actor, pk=candidate_id, perm="dispatch.answer_case", method="decline", label=_("拒绝"),
                      check=check, after=after, within=stats.collecting)


# ---- the client's choice ----

def candidate_release(cand: Candidate, now) -> None:
    """Give back the hold and the capacity unit of an accepted (or chosen) candidate — exactly once: the
    hold's compare-and-set decides, and only a release that happened gives the capacity back."""
    if cand.hold_id and hold_release(hold_id=cand.hold_id):
        stats.record(cand.profile_id, active_cases=-1)


@retry_on_conflict
def client_choose(*, actor, application_id: int, candidate_id: int | None, note: str = "") -> Dispatch:
    """The CM records the client's choice among the accepting institutions (``candidate_id``) or the
    client's refusal of all (``None``) — from the first acceptance on, while other offers may still be open
    (those are withdrawn: no hold, not counted against the institutions, each told by 站内信)."""
    if candidate_id is None:
        return _client_refuses(actor=actor, application_id=application_id, note=note)
    chosen = {}

    def check(dispatch):
        app, now = dispatch.application, clock.now()
        if now >= dispatch.choice_deadline:
            raise ValidationError(_("客户确认时限已过，系统将退回贷审处理。"))
        cand = dispatch.candidates.select_for_update(of=("self",)).select_related("institution").filter(
            pk=candidate_id, status=C.ACCEPTED).first()
        if cand is None:
            raise ValidationError(_("只能选择已受理的机构。"))
        cand.choose()
        cand.resolved_at = now
        cand.save(update_fields=["status", "resolved_at"])
        # released in margin-account order: the ledger's lock order
        others = list(dispatch.candidates.select_for_update(of=("self",)).select_related("institution", "profile")
                      .filter(status=C.ACCEPTED).order_by("profile__margin_account_id"))
        for other in others:
            other.release()
            other.resolved_at = now
            other.save(update_fields=["status", "resolved_at"])
            candidate_release(other, now)
        withdrawn = _close_running(app, dispatch, now, reason="客户已选定其他机构", actor=actor)
        chosen.update(cand=cand, others=others, now=now)
        dispatch.chosen, dispatch.closed_at = cand, now
        dispatch.outcome = f"客户选定 {cand.institution.name}" + (f"，撤回 {withdrawn} 家未答复的派单" if withdrawn else "")
        return f"客户选定 {cand.institution.name}，其余 {len(others)} 家机构已解冻头寸"

    def after(dispatch):
        cand = chosen["cand"]
        _timers_retire(dispatch.timers.all(), chosen["now"], "客户已选定")
        app = dispatch.application
        status_apply(app, "client_choose", actor=actor, comment=f"客户选定 {cand.institution.name}。{note}".strip())
        webhooks.emit(cand.institution_id, "client.chose", {"offer_id": cand.pk, "order_no": app.order_no, "chosen": True})
        for hook in hooks.on_chosen:
            hook(cand)
        for other in chosen["others"]:
            webhooks.emit(other.institution_id, "client.chose", {"offer_id": other.pk, "order_no": app.order_no,
                                                                 "chosen": False})

    def notices(dispatch):
        app, cand = dispatch.application, chosen["cand"]
        yield Notice(to=institution_users(cand.institution_id), link=_offers_link(history=True), event="offer.chosen",
                     title=f"客户已选定贵机构办理：{app.product.name} {app.amount:,.2f} 元（{app.order_no}）")
        for other in chosen["others"]:
            yield Notice(to=institution_users(other.institution_id), event="offer.chosen",
                         title=f"客户选择了其他机构（{app.order_no}），已为贵机构恢复冻结的头寸")

    return DISPATCHES.run(actor=actor, pk=application_id, perm="dispatch.record_choice", method="choose",
                          label=_("录入客户选择"), check=check, after=after, within=stats.collecting,
                          notify=lambda dispatch: list(notices(dispatch)))


def _client_refuses(*, actor, application_id: int, note: str) -> Dispatch:
    """The client refuses every accepting institution: all holds are released and 贷审 takes it back."""
    if not actor.has_perm("dispatch.record_choice"):
        raise PermissionDenied("dispatch.record_choice")
    with transaction.atomic(), stats.collecting():
        dispatch = _lock_choice(actor, application_id)
        now = clock.now()
        if now >= dispatch.choice_deadline:
            raise ValidationError(_("客户确认时限已过，系统将退回贷审处理。"))
        if not note.strip():
            raise ValidationError(_("请填写客户拒绝的原因。"))
        _close_choice(dispatch.application, dispatch, now, lapsed=False, actor=actor, note=note.strip())
        return dispatch


def _close_choice(app, dispatch: Dispatch, now, *, lapsed: bool, actor=None, note: str = "") -> None:
    accepted = list(dispatch.candidates.select_for_update(of=("self",)).select_related("institution", "profile")
                    .filter(status=C.ACCEPTED).order_by("profile__margin_account_id"))
    for cand in accepted:
        cand.release()
        cand.resolved_at = now
        cand.save(update_fields=["status", "resolved_at"])
        candidate_release(cand, now)
    reason = "客户逾期未选择机构" if lapsed else f"客户拒绝全部机构：{note}"
    _close_running(app, dispatch, now, reason="客户逾期未选择机构" if lapsed else "客户拒绝全部机构", actor=actor)
    dispatch.lapse() if lapsed else dispatch.refuse_all()
    dispatch.closed_at, dispatch.outcome = now, reason[:200]
    dispatch.save(update_fields=["status", "closed_at", "outcome"])
    _timers_retire(dispatch.timers.all(), now, reason)
    status_apply(app, "dispatch_fail", actor=actor, comment=f"{reason}，全部头寸已解冻，退回贷审")
    _event(dispatch, f"{reason}，{len(accepted)} 家机构的头寸已解冻", now=now, actor=actor)
    message_send(recipients=list(reviewers("review_lr")) + [app.cm_id], category="workflow", link=_app_link(app),
                 title=f"贷款申请 {app.order_no}：{reason}，退回贷审")
    for cand in accepted:
        webhooks.emit(cand.institution_id, "client.chose", {"offer_id": cand.pk, "order_no": app.order_no, "chosen": False})
        message_send(recipients=institution_users(cand.institution_id), category="workflow",
                     title=f"派单 {app.order_no} 客户未选择贵机构，已恢复冻结的头寸")


# ---- timers (the beat sweep) ----

def timers_sweep(*, now=None, batch: int = 200, first: int = 8) -> int:
    """Apply every due timer exactly once, a batch at a time (``_sweep_batch``): the batch is claimed with
    FOR UPDATE SKIP LOCKED (a concurrent sweep takes other rows), its cases are locked in application order,
    re-checked under the locks, and the effects and the timers' "done" marks commit together. If a batch fails
    it is rolled back whole and its timers are applied one by one, each in its own transaction
    (``_sweep_one``): a timer that fails there is left due, with the error, for the next run.

    Batches start at ``first`` timers and double while they come back full, up to ``batch``: a short list of
    due work commits in several steps (a worker killed mid-sweep leaves the rest due, not everything undone),
    a backlog of thousands is worked through 200 at a time."""
    done, skip, size = 0, set(), max(1, min(first, batch))
    while True:
        moment = now or clock.now()
        claimed = []
        try:
            with transaction.atomic():
                claimed = list(Timer.objects.select_for_update(skip_locked=True)
                               .filter(done_at__isnull=True, due_at__lte=moment).exclude(pk__in=skip)
                               .order_by("due_at", "pk")[:size])
                if not claimed:
                    return done
                applied = _sweep_batch(claimed, moment)
            done += applied  # counted once the batch has committed
            if len(claimed) == size:
                size = min(size * 2, batch)
        except Exception:  # one by one below, which records a failing timer's error
            log.warning("sweep batch of %d timers failed; applying them one by one", len(claimed), exc_info=True)
            for timer in claimed:
                applied = _sweep_one(timer.pk, moment)
                if applied:
                    done += 1
                else:
                    skip.add(timer.pk)


def _sweep_one(pk: int, moment) -> bool:
    """One timer in its own transaction (the batch's fallback). False: held by another sweep, or it failed."""
    try:
        with transaction.atomic():
            timer = Timer.objects.select_for_update(skip_locked=True).filter(pk=pk, done_at__isnull=True).first()
            if timer is None:  # another sweep holds it or has just done it
                return False
            with stats.collecting():
                outcome = _fire(timer, moment)
            timer.done_at, timer.outcome = moment, outcome
            timer.save(update_fields=["done_at", "outcome"])
        return True
    except Exception as exc:  # noqa: BLE001 — recorded on the row and retried next run
        Timer.objects.filter(pk=pk).update(attempts=F("attempts") + 1, last_error=repr(exc)[:300])
        return False


def _sweep_batch(timers: list[Timer], now) -> int:
    """Apply claimed timers (locked by the caller's transaction) with set-based statements: the first due timer
    of each dispatch (a later one of the same dispatch waits for the next batch, so it sees this one's effects).
    Rounds whose refill point passed close in one UPDATE; due offers lapse in one UPDATE; statistics, events,
    messages and page generations are written once for the batch; the next rounds are selected and opened
    for the whole batch. Rare turns (places filled, the dispatch ends, the client's window lapses) go through
    the same functions as a person's action, inside the batch. Returns how many timers were applied."""
    first: dict[int, Timer] = {}
    for timer in timers:  # ordered by due time
        first.setdefault(timer.dispatch_id, timer)
    mine = list(first.values())
    batch = _Batch()
    token = _BATCH.set(batch)
    try:
        with stats.collecting():
            outcomes = _sweep_apply(mine, now, batch)
            batch.flush()
    finally:
        _BATCH.reset(token)
    for timer in mine:
        timer.done_at, timer.outcome = now, outcomes[timer.pk]
    Timer.objects.bulk_update(mine, ["done_at", "outcome"])
    return len(mine)


def _rounds_close(rounds: list[Round], now, reason: str) -> None:
    if rounds:
        ids = [r.pk for r in rounds]
        Round.objects.filter(pk__in=ids).update(closed_at=now, close_reason=reason[:100])
        _timers_retire(Timer.objects.filter(round_id__in=ids, kind=Timer.Kind.ROUND), now, reason)


def _sweep_apply(mine: list[Timer], now, batch: _Batch) -> dict[int, str]:
    refs = dict(Dispatch.objects.filter(pk__in=[t.dispatch_id for t in mine]).values_list("pk", "application_id"))
    apps = {a.pk: a for a in Application.objects.select_for_update(of=("self",)).select_related("product", "region")
            .filter(pk__in=set(refs.values())).order_by("pk")}
    dispatches = {d.pk: d for d in Dispatch.objects.select_for_update().filter(pk__in=refs).order_by("pk")}
    rounds = {r.pk: r for r in Round.objects.select_for_update().filter(
        pk__in=[t.round_id for t in mine if t.kind == Timer.Kind.ROUND]).order_by("pk")}
    outcomes, advance, refill, lapse, choices = {}, [], [], [], []
    for t in mine:
        d = dispatches[t.dispatch_id]
        if t.kind == Timer.Kind.ROUND:
            rnd = rounds[t.round_id]
            if rnd.closed_at is not None or d.status != Dispatch.Status.RUNNING:
                outcomes[t.pk] = "本轮已结束"
            elif rnd.deadline > now:
                outcomes[t.pk] = "时限已延长"
            else:
                refill.append(rnd)
                outcomes[t.pk] = "补全时间已到"
                advance.append(d)
        elif t.kind == Timer.Kind.OFFER:
            if d.status != Dispatch.Status.RUNNING:
                outcomes[t.pk] = "派发已结束"
            else:
                lapse.append((t, d))
        else:
            choices.append(t)
    _rounds_close(refill, now, "补全时间已到")
    if lapse:  # offers whose own deadline passed lapse (超时未处理, counted against the institution)
        due = list(Candidate.objects.select_for_update(of=("self",)).filter(
            dispatch_id__in=[d.pk for _, d in lapse], status=C.OFFERED, deadline__lte=now).order_by("pk")
            .values_list("pk", "dispatch_id", "profile_id", "institution__name", "round_id", "institution_id"))
        if due:
            Candidate.objects.filter(pk__in=[o[0] for o in due]).update(status=C.LAPSED, resolved_at=now)
        per_dispatch: dict[int, list] = {}
        application_of = {d.pk: d.application_id for _t, d in lapse}
        for offer in due:
            per_dispatch.setdefault(offer[1], []).append(offer)
            stats.record(offer[2], lapsed_count=1)
            batch.hooks.add(offer[5], "offer.lapsed", {"offer_id": offer[0],
                                                       "application_id": application_of[offer[1]]})
        for t, d in lapse:
            offers = per_dispatch.get(d.pk)
            if not offers:
                outcomes[t.pk] = "无到期派单（已答复或已延长）"
                continue
            batch.pages.add(d.application_id)
            _event(d, "受理时限已到，超时未处理：" + "、".join(o[3] for o in offers), now=now)
            outcomes[t.pk] = "派单超时未处理"
            advance.append(d)
        touched = sorted({o[4] for o in due})
        if touched:
            candidates = list(Round.objects.select_for_update().filter(pk__in=touched, closed_at__isnull=True)
                              .order_by("pk"))
            still = set(Candidate.objects.filter(round_id__in=[r.pk for r in candidates], status=C.OFFERED)
                        .values_list("round_id", flat=True))
            _rounds_close([r for r in candidates if r.pk not in still], now, "本轮机构均已答复或超时")
    if advance:
        _advance_many([(apps[d.application_id], d) for d in advance], now, _params())
    for t in choices:  # the client's window: holds are released, through the person's path
        outcomes[t.pk] = _fire(t, now)
    return outcomes


def _advance_many(items: list, now, values: dict) -> None:
    """``_advance`` for a batch: places filled → the dispatch ends; no round open → the next rounds are opened
    together; nothing open and nothing to open → the dispatch ends."""
    rest = []
    for app, d in items:
        if d.accepted_count >= values["dispatch.round_size"]:
            _close_running(app, d, now, reason="受理名额已满")
            _finish(app, d, now, values)
        else:
            rest.append((app, d))
    if not rest:
        return
    with_open = set(Round.objects.filter(dispatch_id__in=[d.pk for _, d in rest], closed_at__isnull=True)
                    .values_list("dispatch_id", flat=True))
    to_open = [(app, d) for app, d in rest if d.pk not in with_open]
    opened = _rounds_open_many(to_open, now, values)
    idle = [(app, d) for app, d in to_open if d.pk not in opened]
    if idle:
        offering = set(Candidate.objects.filter(dispatch_id__in=[d.pk for _, d in idle], status=C.OFFERED)
                       .values_list("dispatch_id", flat=True))
        for app, d in idle:
            if d.pk not in offering:
                _finish(app, d, now, values)


def _rounds_open_many(items: list, now, values: dict) -> set[int]:
    """``_round_open`` for a batch: one selection statement per case (its top places and the ones that lost
    it for want of room), then the rounds, offers, timers, lost cases and round counts in one statement each.
    Returns the dispatches that got a round."""
    todo = [(app, d, values["dispatch.round_size"] - d.accepted_count) for app, d in items
            if d.round_count < values["dispatch.max_rounds"] and now < d.cutoff_at
            and values["dispatch.round_size"] - d.accepted_count > 0]
    if not todo:
        return set()
    scoring.scores_ensure_current(values)
    chosen, lost = [], []
    for app, d, n in todo:
        picked, near = selectors.pick(app, d.level, n, lost=True)
        lost += [(profile, app, reason) for profile, reason in selectors.lost_of(near, n, picked)]
        if picked:
            chosen.append((app, d, picked))
    if lost:
        with connection.cursor() as cur:
            cur.execute("INSERT INTO dispatch_lostcase (institution_id, application_id, reason, at) VALUES "
                        + ", ".join(["(%s, %s, %s, %s)"] * len(lost))
                        + " ON CONFLICT (institution_id, application_id) DO NOTHING"
                          " RETURNING institution_id, application_id",
                        [v for p, app, reason in lost for v in (p.institution_id, app.pk, reason, now)])
            created = set(cur.fetchall())
        for profile, app, _reason in lost:
            if (profile.institution_id, app.pk) in created:
                stats.record(profile.pk, lost_count=1)
    if not chosen:
        return set()
    offer_deadline = now + timedelta(minutes=values["dispatch.offer_minutes"])
    new_rounds = [Round(dispatch=d, number=d.round_count + 1, started_at=now,
                        deadline=min(now + timedelta(minutes=values["dispatch.round_minutes"]), d.cutoff_at))
                  for _app, d, _picked in chosen]
    Round.objects.bulk_create(new_rounds)
    offers, timers = [], []
    for (app, d, picked), rnd in zip(chosen, new_rounds):
        offers += [Candidate(dispatch=d, round=rnd, application=app, institution_id=p.institution_id,
                             profile_id=p.pk, rank=i, score=p.score, parts=p.score_parts, offered_at=now,
                             deadline=offer_deadline) for i, p in enumerate(picked, start=1)]
        timers += [Timer(kind=Timer.Kind.ROUND, dispatch=d, round=rnd, due_at=rnd.deadline),
                   Timer(kind=Timer.Kind.OFFER, dispatch=d, round=rnd, due_at=offer_deadline)]
        stats.dispatched([p.pk for p in picked], now)
        d.round_count = rnd.number
    Candidate.objects.bulk_create(offers)
    batch = _BATCH.get()
    for offer in offers:
        batch.hooks.add(offer.institution_id, "offer.created", webhooks.offer_payload(offer, offer.application))
    Timer.objects.bulk_create(timers)
    Dispatch.objects.bulk_update([d for _app, d, _picked in chosen], ["round_count"])
    names = dict(Organization.objects.filter(pk__in={o.institution_id for o in offers}).values_list("pk", "name"))
    for app, d, picked in chosen:
        batch.pages.add(app.pk)
        _event(d, f"第 {d.round_count} 轮派发：" + "、".join(names[p.institution_id] for p in picked)
               + f"，各家受理截止 {clock_text(offer_deadline)}", now=now)
        _notify(institutions=[p.institution_id for p in picked], link=_offers_link(), event="offer.created",
                title=f"新的派单待受理：{app.product.name} {app.amount:,.2f} 元，请于 {clock_text(offer_deadline)} 前处理")
    return {d.pk for _app, d, _picked in chosen}


def _fire(timer: Timer, now) -> str:
    app = _lock_application(Dispatch.objects.values_list("application_id", flat=True).get(pk=timer.dispatch_id))
    dispatch = Dispatch.objects.select_for_update().get(pk=timer.dispatch_id)
    if timer.kind == Timer.Kind.ROUND:
        rnd = Round.objects.select_for_update().get(pk=timer.round_id)
        if rnd.closed_at is not None or dispatch.status != Dispatch.Status.RUNNING:
            return "本轮已结束"
        if rnd.deadline > now:
            return "时限已延长"
        _round_close(dispatch, rnd, now, reason="补全时间已到")
        _advance(app, dispatch, now, _params())
        return "补全时间已到"
    if timer.kind == Timer.Kind.OFFER:
        if dispatch.status != Dispatch.Status.RUNNING:
            return "派发已结束"
        rounds = _offers_lapse(dispatch, now)
        if not rounds:
            return "无到期派单（已答复或已延长）"
        for rnd in Round.objects.select_for_update().filter(pk__in=rounds, closed_at__isnull=True).order_by("pk"):
            if not rnd.candidates.filter(status=C.OFFERED).exists():
                _round_close(dispatch, rnd, now, reason="本轮机构均已答复或超时")
        _advance(app, dispatch, now, _params())
        return "派单超时未处理"
    if dispatch.status not in Dispatch.LIVE or dispatch.choice_deadline is None:
        return "客户已选择或已结束"
    if dispatch.choice_deadline > now:
        return "时限已延长"
    _close_choice(app, dispatch, now, lapsed=True)
    return "客户逾期未选择"


# ---- 跟单经理 interventions ----

def _intervene_lock(actor, dispatch_id: int):
    if not actor.has_perm("dispatch.intervene"):
        raise PermissionDenied("dispatch.intervene")
    ref = Dispatch.objects.filter(pk=dispatch_id).values("application_id").first()
    if ref is None:
        raise Http404
    app = _lock_application(ref["application_id"])
    dispatch = Dispatch.objects.select_for_update().get(pk=dispatch_id)
    if dispatch.status not in Dispatch.LIVE:
        raise ValidationError(_("该派发已结束，请刷新页面。"))
    return app, dispatch, clock.now()


def _open_round(dispatch: Dispatch) -> Round:
    rnd = dispatch.rounds.select_for_update().filter(closed_at__isnull=True).order_by("-number").first()
    if rnd is None or dispatch.status != Dispatch.Status.RUNNING:
        raise ValidationError(_("当前没有进行中的派发轮次。"))
    return rnd


def candidate_add(*, actor, dispatch_id: int, institution_id: int, reason: str, accept_warnings: bool = False
                  ) -> Candidate:
    """Add an institution to the current round by hand. Rule breaches are warnings the OF must acknowledge."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("请填写人工加派的原因。"))
    with transaction.atomic(), stats.collecting():
        app, dispatch, now = _intervene_lock(actor, dispatch_id)
        rnd = _open_round(dispatch)
        institution = Organization.objects.filter(pk=institution_id, kind=Organization.Kind.INSTITUTION,
                                                  parent__isnull=True, is_active=True).first()
        if institution is None:
            raise ValidationError(_("请选择一家启用中的合作机构。"))
        check = selectors.eligibility_check(application=app, institution=institution, level=dispatch.level)
        if check.profile is None or any("已派发过" in w for w in check.warnings):
            raise ValidationError(_("%(w)s，不能加派。") % {"w": "；".join(check.warnings)})
        if check.warnings and not accept_warnings:
            raise ValidationError(_("该机构不符合派发规则：%(w)s。如确需加派，请勾选“已知晓以上提示”。") % {"w": "；".join(check.warnings)})
        profile = check.profile
        deadline = now + timedelta(minutes=_params()["dispatch.offer_minutes"])  # its own full window
        cand = Candidate.objects.create(
            dispatch=dispatch, round=rnd, application=app, institution=institution, profile=profile,
            rank=rnd.candidates.count() + 1, score=profile.score, parts=profile.score_parts, manual=True,
            added_by=actor, manual_reason=reason[:200], offered_at=now, deadline=deadline)
        Timer.objects.create(kind=Timer.Kind.OFFER, dispatch=dispatch, round=rnd, due_at=deadline)
        stats.dispatched([profile.pk], now)
        webhooks.emit(institution.pk, "offer.created", webhooks.offer_payload(cand, app))
        warn = f"（提示：{'；'.join(check.warnings)}）" if check.warnings else ""
        _event(dispatch, f"跟单人工加派 {institution.name}：{reason}{warn}", now=now, actor=actor)
        message_send(recipients=institution_users(institution.pk), category="workflow", link=_offers_link(),
                     event="offer.created", title=f"数银跟单为贵机构加派一笔派单，请于 {clock_text(deadline)} 前处理")
        return cand


def window_extend(*, actor, dispatch_id: int, minutes: int, reason: str, target: str = "offers") -> Dispatch:
    """Extend the open offers' acceptance windows (``target="offers"``, each from its own deadline) or the
    client's choice window (``"choice"``). New timer rows are written; the old ones fire as no-ops."""
    if not 1 <= int(minutes) <= 7 * 24 * 60:
        raise ValidationError(_("延长时间应在 1 分钟到 7 天之间。"))
    if not (reason or "").strip():
        raise ValidationError(_("请填写延长的原因。"))
    delta = timedelta(minutes=int(minutes))
    with transaction.atomic():
        app, dispatch, now = _intervene_lock(actor, dispatch_id)
        if target == "offers":
            offers = list(dispatch.candidates.select_for_update(of=("self",)).filter(status=C.OFFERED)
                          .select_related("institution").order_by("pk"))
            if dispatch.status != Dispatch.Status.RUNNING or not offers:
                raise ValidationError(_("当前没有待受理的派单可延长。"))
            for offer in offers:
                offer.deadline = max(offer.deadline, now) + delta
                offer.save(update_fields=["deadline"])
            for due in sorted({o.deadline for o in offers}):
                Timer.objects.create(kind=Timer.Kind.OFFER, dispatch=dispatch, round_id=offers[0].round_id, due_at=due)
            text = "受理时限延长：" + "、".join(f"{o.institution.name} 至 {clock_text(o.deadline)}" for o in offers)
            for offer in offers:
                message_send(recipients=institution_users(offer.institution_id), category="workflow",
                             link=_offers_link(),
                             title=f"派单 {app.order_no} 的受理时限已延长至 {clock_text(offer.deadline)}")
        else:
            if dispatch.choice_deadline is None:
                raise ValidationError(_("尚无机构受理，没有客户确认时限可延长。"))
            dispatch.choice_deadline = max(dispatch.choice_deadline, now) + delta
            dispatch.save(update_fields=["choice_deadline"])
            Timer.objects.create(kind=Timer.Kind.CHOICE, dispatch=dispatch, due_at=dispatch.choice_deadline)
            text = f"客户确认时限延长至 {clock_text(dispatch.choice_deadline)}"
        _event(dispatch, f"{text}：{reason.strip()}", now=now, actor=actor)
        return dispatch


def round_close_early(*, actor, dispatch_id: int, reason: str) -> Dispatch:
    """End the waiting now: every offer still unanswered is withdrawn (not counted against the institutions,
    each told), the open round closes, and the next round opens for the free places, or the dispatch
    finishes."""
    if not (reason or "").strip():
        raise ValidationError(_("请填写提前结束本轮的原因。"))
    with transaction.atomic(), stats.collecting():
        app, dispatch, now = _intervene_lock(actor, dispatch_id)
        rounds = list(dispatch.rounds.select_for_update().filter(closed_at__isnull=True))
        if dispatch.status != Dispatch.Status.RUNNING or not (
                rounds or dispatch.candidates.filter(status=C.OFFERED).exists()):
            raise ValidationError(_("当前没有进行中的派发轮次。"))
        values = _params()
        _offers_withdraw(app, dispatch, now, reason="跟单提前结束本轮", actor=actor)
        for rnd in rounds:
            _round_close(dispatch, rnd, now, reason=f"跟单提前结束：{reason.strip()}")
        _event(dispatch, f"跟单提前结束第 {dispatch.round_count} 轮：{reason.strip()}", now=now, actor=actor)
        _advance(app, dispatch, now, values)
        return dispatch


# ---- profiles and business categories ----

def profile_ensure(institution: Organization) -> Profile:
    root = institution if institution.parent_id is None else Organization.objects.get(pk=institution.root_id)
    margin = institution_accounts(root)["margin"]
    profile, created = Profile.objects.get_or_create(institution=root, defaults={"margin_account": margin})
    if created:
        scoring.profiles_rescore([profile.pk])
    return profile


def profile_update(*, actor, profile: Profile, capacity: int, client_types: list[str], is_active: bool) -> Profile:
    with transaction.atomic():
        profile = Profile.objects.select_for_update().get(pk=profile.pk)
        profile.capacity, profile.client_types, profile.is_active = capacity, sorted(set(client_types)), is_active
        profile.save(update_fields=["capacity", "client_types", "is_active", "updated_at"])
        return profile


def profile_areas_set(*, profile: Profile, regions) -> None:
    regions = list(regions)
    with transaction.atomic():
        profile.areas.all().delete()
        ServiceArea.objects.bulk_create([
            ServiceArea(profile=profile, region=r, level=r.level, province_code=r.province_code,
                        city_code=r.city_code) for r in regions])
        Profile.objects.filter(pk=profile.pk).update(
            coverage=coverage_keys((r.code, r.city_code, r.province_code) for r in regions))


def profile_products_set(*, profile: Profile, products) -> None:
    products = list(products)
    with transaction.atomic():
        profile.product_links.all().delete()
        ProfileProduct.objects.bulk_create([ProfileProduct(profile=profile, product=p) for p in products])
        Profile.objects.filter(pk=profile.pk).update(product_ids=sorted(p.pk for p in products))


def category_request_create(*, actor, products, note: str = "") -> CategoryRequest:
    if not actor.has_perm("dispatch.edit_own_profile"):
        raise PermissionDenied("dispatch.edit_own_profile")
    if not products:
        raise ValidationError(_("请至少选择一个业务类别。"))
    root_id = actor.organization.root_id
    with transaction.atomic():
        if CategoryRequest.objects.select_for_update().filter(institution_id=root_id,
                                                              status=CategoryRequest.Status.PENDING).exists():
            raise ValidationError(_("已有一份变更申请待数银审核，请等待审核结果。"))
        req = CategoryRequest.objects.create(institution_id=root_id, note=note[:300], requested_by=actor)
        req.products.set(products)
        message_send(recipients=User.objects.filter(is_active=True, roles__permissions__codename="manage_profiles",
                                                     roles__organization__isnull=True).distinct(),
                     category="workflow", link=reverse("platform:category_requests"),
                     title=f"{actor.organization.name} 申请变更业务类别")
        return req


def category_request_decide(*, actor, request_id: int, approve: bool, note: str = "") -> CategoryRequest:
    if not actor.has_perm("dispatch.manage_profiles"):
        raise PermissionDenied("dispatch.manage_profiles")
    if not approve and not note.strip():
        raise ValidationError(_("驳回时请填写原因。"))
    with transaction.atomic():
        req = CategoryRequest.objects.select_for_update().filter(pk=request_id).first()
        if req is None:
            raise Http404
        if req.status != CategoryRequest.Status.PENDING:
            raise ValidationError(_("该申请已审核，请刷新页面。"))
        req.approve() if approve else req.reject()
        req.decided_by, req.decided_at, req.decision_note = actor, clock.now(), note.strip()[:300]
        req.save()
        if approve:
            profile_products_set(profile=profile_ensure(req.institution), products=list(req.products.all()))
        message_send(recipients=institution_users(req.institution_id, codename="view_own_profile"), category="workflow",
                     link=reverse("inst:dispatch_profile"),
                     title="业务类别变更申请已通过" if approve else f"业务类别变更申请被驳回：{note.strip()}")
        return req
