"""Issue 10: a hypothesis state machine over applications, dispatch, case work, settlement and money, with a
moved clock. Every rule drives the real services (and, for the money pages, the real views) as some person:
usually one of the right role, sometimes one of the wrong role or another tenant, who must be refused
(PermissionDenied / ValidationError / 404 / the ledger's refusal) and change nothing. After every step the
invariants of ``state_machine_support.check_world`` hold: the books balance, no hold leaks or is resolved
twice, every institution's capacity counter equals its active holds, and each application is in exactly one
place (its status agrees with its dispatches, candidates, case and settlement).

The ``progress`` rules take an application's natural next step (by the right person, so it must succeed);
the other rules draw any action, any person and any object, so that refusals, races with deadlines and odd
orders (a choice after the window, an answer after the sweep, a release before the receipt…) are explored
while applications still get all the way to 已完成 within one example.

Isolation between examples: the cast, the product and the partner institutions are made once per test
(inside pytest-django's test transaction); each example runs inside a savepoint that ``teardown`` rolls
back, which is much faster than a transactional test that truncates every table per example. Nothing
commits, so ``transaction.on_commit`` callbacks would never fire: every service call runs in
``captureOnCommitCallbacks(execute=True)``, which runs them as soon as the service returns — where a real
commit would — so the on_ready hook starts dispatch right after 贷审 passes an application, as in
production. One variant drops them instead (the web process died between the commit and the hook) and
leaves the application 待派发 for the sweep's safety net, ``dispatch_start_pending``.

``make test`` runs the short version; ``make chaos`` (``-m chaos``) or ``CHAOS=1`` the long one; with
``SM_STATS=1`` (and ``-s``) the test prints how often each action was taken or refused."""
import logging
import os
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from functools import partial
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test import Client, TestCase
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, \
    run_state_machine_as_test

from apps.applications import services as review
from apps.applications.models import BEFORE_DISPATCH, Application, Document, Status as A, StatusChange
from apps.cases import services as cases
from apps.cases.models import Case
from apps.common import clock
from apps.dispatch import selectors as dispatch_selectors, services as dispatch
from apps.dispatch.models import Candidate, DeclineReason, Dispatch, Profile, Timer
from apps.members import services as members
from apps.members.models import Member
from apps.positions import services as ledger
from apps.positions.models import Account, Hold
from apps.regions.models import Region
from apps.settlement import services as settlement
from apps.settlement.models import FollowUp, Rating, Settlement

from .state_machine_support import HOLD, REFUSALS, build_partners, check_books, check_world, institution_money, rows

C, D, S = Candidate.Status, Dispatch.Status, Settlement.Status
PROFILES = {"default": dict(max_examples=10, stateful_step_count=80),
            "full": dict(max_examples=60, stateful_step_count=120)}
MAX_APPS = 3
STEPS = [timedelta(minutes=30), timedelta(hours=8, seconds=1), timedelta(hours=24, seconds=1),
         timedelta(days=3, seconds=1), timedelta(days=8), timedelta(days=15)]
STATS: Counter = Counter()

# review actions: who may take them (``owner``: the application's own CM) and from which statuses
LR = frozenset({"lr", "lrs"})
REVIEW = {
    "submit": ("owner", {A.DRAFT}),
    "cs_pass": (frozenset({"cs"}), {A.CS_REVIEW}),
    "cs_reject": (frozenset({"cs"}), {A.CS_REVIEW}),
    "uphold": (LR, {A.CS_REJECTED}),
    "overturn": (LR, {A.CS_REJECTED}),
    "lr_pass": (LR, {A.LR_REVIEW}),
    "lr_reject": (LR, {A.LR_REVIEW, A.PENDING_PLAN, A.REDISPATCH}),
    "cs_supplement": (frozenset({"cs"}), {A.CS_REVIEW}),
    "lr_supplement": (LR, {A.LR_REVIEW, A.PENDING_PLAN}),
    "resubmit": ("owner", {A.SUPPLEMENT}),
    "park": (LR, {A.LR_REVIEW}),
    "resume": (LR, {A.PENDING_PLAN}),
    "withdraw": ("owner", set(BEFORE_DISPATCH)),
}
TARGET = {"submit": A.CS_REVIEW, "cs_pass": A.LR_REVIEW, "cs_reject": A.CS_REJECTED, "uphold": A.LR_REJECTED,
          "overturn": A.LR_REVIEW, "lr_reject": A.LR_REJECTED, "cs_supplement": A.SUPPLEMENT,
          "lr_supplement": A.SUPPLEMENT, "park": A.PENDING_PLAN, "resume": A.LR_REVIEW, "withdraw": A.WITHDRAWN}
# the natural next review step per status, most likely first (progress draws with these weights)
NEXT_REVIEW = {
    A.DRAFT: ["submit"] * 9 + ["withdraw"],
    A.CS_REVIEW: ["cs_pass"] * 8 + ["cs_supplement", "cs_reject"],
    A.CS_REJECTED: ["overturn"] * 3 + ["uphold"],
    A.LR_REVIEW: ["lr_pass"] * 9 + ["lr_supplement", "park", "lr_reject"],
    A.PENDING_PLAN: ["resume"] * 3 + ["lr_supplement"],
    A.SUPPLEMENT: ["resubmit"],
}
# who may be drawn to take an action of each kind (the right ones among them)
PLATFORM_KINDS = ["owner", "other_cm", "cs", "lr", "lrs", "of", "st", "tl", "inst"]
ANSWER_KINDS = ["admin", "officer", "viewer", "other", "b_admin", "of"]
CHOICE_KINDS = ["owner", "other_cm", "cs", "of", "inst"]
OF_KINDS = ["of", "lr", "cm", "st", "inst"]
REDISPATCH_KINDS = ["lr", "lrs", "cs", "of", "owner"]
CASE_KINDS = ["admin", "officer", "viewer", "other", "b_admin", "of"]
SETTLE_KINDS = ["owner", "other_cm", "of", "fo", "st", "lr", "admin", "officer", "other"]
CASE_NEXT = {Case.Status.NEW: "allocate", Case.Status.ALLOCATED: "review", Case.Status.REVIEWING: "book",
             Case.Status.SIGNING: "sign", Case.Status.SIGNED: "disburse"}
FINAL = (A.COMPLETED, A.LR_REJECTED, A.WITHDRAWN)


def review_call(action, actor, app_id):
    kw = dict(actor=actor, application_id=app_id)
    return {
        "submit": lambda: review.application_submit(**kw),
        "cs_pass": lambda: review.cs_pass(**kw),
        "cs_reject": lambda: review.cs_reject(**kw, comment="资料与客户陈述不符"),
        "uphold": lambda: review.arbitrate(**kw, reasonable=True, comment="拒绝合理"),
        "overturn": lambda: review.arbitrate(**kw, reasonable=False, comment="拒绝不合理"),
        "lr_pass": lambda: review.lr_pass(**kw),
        "lr_reject": lambda: review.lr_reject(**kw, comment="不符合准入"),
        "cs_supplement": lambda: review.ask_supplement(**kw, missing="近六个月流水"),
        "lr_supplement": lambda: review.ask_supplement(**kw, missing="房产证明"),
        "resubmit": lambda: review.resubmit(**kw),
        "park": lambda: review.park(**kw),
        "resume": lambda: review.resume(**kw),
        "withdraw": lambda: review.withdraw(**kw, comment="客户不再需要"),
    }[action]


class WorkflowMachine(RuleBasedStateMachine):
    """One example: a few applications moving through the whole product while money moves and time passes.
    ``world`` (the cast, the partners, signed-in web clients) is set by the test before the run."""

    world: SimpleNamespace

    def __init__(self):
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        clock.reset()
        self.c, self.partners = self.world.cast, self.world.partners
        self.by_org = {p.org.pk: p for p in self.partners}
        orgs = [p.org.pk for p in self.partners] + [self.c.inst_a.pk, self.c.inst_b.pk]
        self.money = institution_money(orgs)  # cash + margin + risk each institution should have
        self.hold_seen: dict[int, str] = {}
        self.members = 0
        self.refresh()

    def teardown(self):
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)
        clock.reset()

    # ---- running a service as a person ----

    def refresh(self):
        self.r = rows()
        self.apps = {a[0]: a for a in self.r["app"]}
        self.cm_of = dict(Application.objects.values_list("pk", "cm_id"))

    def call(self, fn, *, hooks: bool = True):
        """Run one service call as the web request would: its on_commit callbacks run right after it, or are
        lost (``hooks=False``: the process died between the commit and the hook)."""
        with TestCase.captureOnCommitCallbacks(execute=hooks):
            return fn()

    def expect(self, allowed: bool, fn, *, what: str, hooks: bool = True):
        """``allowed``: the call must succeed. Otherwise it must be refused and change nothing."""
        STATS[f"{what.split(' by ')[0]}: {'done' if allowed else 'refused'}"] += 1
        if allowed:
            return self.call(fn, hooks=hooks)
        before = rows()
        try:
            self.call(fn)
        except REFUSALS:
            after = rows()
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            assert not changed, f"refused {what} changed {changed}"
            return None
        raise AssertionError(f"{what} was not refused")

    def attempt(self, fn, *, what: str):
        """Where the outcome is not predicted: it succeeds, or it is refused and changes nothing."""
        before = rows()
        try:
            result = self.call(fn)
        except REFUSALS:
            assert rows() == before, f"refused {what} changed something"
            STATS[f"{what}: refused"] += 1
            return False, None
        STATS[f"{what}: done"] += 1
        return True, result

    def platform_user(self, kind: str, app_id: int | None = None):
        owner = self.cm_of.get(app_id)
        if kind == "owner":
            return self.c.cm if owner == self.c.cm.pk else self.c.cm2
        if kind == "other_cm":
            return self.c.cm2 if owner == self.c.cm.pk else self.c.cm
        if kind == "inst":
            return self.partners[0].user
        return getattr(self.c, kind)

    def inst_user(self, kind: str, partner):
        """admin / officer / viewer of ``partner``; ``other``: another partner's admin; or a cast member."""
        if kind in ("admin", "officer", "viewer"):
            return partner.user if kind == "admin" else getattr(partner, kind)
        if kind == "other":
            return next(p.user for p in self.partners if p is not partner)
        return self.platform_user(kind)

    @staticmethod
    def near(moment) -> bool:
        """A deadline within seconds of now: real time passes between the test's reading of the clock and the
        service's, so the outcome is not predicted there."""
        return moment is not None and abs((moment - clock.now()).total_seconds()) < 5

    @staticmethod
    def account(org_pk: int, kind: str) -> Account:
        return Account.objects.get(owner_id=org_pk, kind=kind)

    @staticmethod
    def app_status(pk: int) -> str:
        return Application.objects.values_list("status", flat=True).get(pk=pk)

    # ---- the actions with their oracle (shared by the random rules and progress) ----

    def do_create(self, cm, member, actor):
        product = self.world.product
        busy = Application.objects.filter(member=member, product=product).exclude(status__in=FINAL).exists()
        return self.expect(actor == cm and not busy, lambda: review.application_create(
            actor=actor, member=member, product=product, amount="50000", term_months=12,
            region=Region.objects.get(code="440305"), purpose="经营周转", client_type="individual"),
            what=f"application_create by {actor.username}")

    def member_new(self, cm):
        from apps.common.validators import resident_id_check_char

        self.members += 1
        first17 = f"44030519850101{self.members:03d}"
        member = members.member_register(
            actor=cm, real_name=f"状态机客户{self.members}", id_number=first17 + resident_id_check_char(first17),
            mobile=f"1390000{self.members:04d}", address="深圳市南山区", client_type="individual",
            id_photo_front=self.world.png(), id_photo_back=self.world.png())
        return members.member_decide(actor=self.c.cs, member_id=member.pk, approve=True)

    def missing_documents(self, app_id) -> list[str]:
        """Against the application's product now (贷审 or 客服 may have changed it)."""
        have = set(Document.objects.filter(application_id=app_id).values_list("name", flat=True))
        checklist = Application.objects.select_related("product").get(pk=app_id).product.checklist
        return [n for n in checklist if n not in have]

    def supplemented(self, app_id) -> bool:
        mark = Application.objects.get(pk=app_id).supplement_doc_mark
        return Document.objects.filter(application_id=app_id, pk__gt=mark).exists()

    def do_document(self, app_id, kind, name):
        status = self.apps[app_id][1]
        actor = self.platform_user(kind, app_id)
        self.expect(kind == "owner" and status in (A.DRAFT, A.SUPPLEMENT), lambda: review.document_add(
            actor=actor, application_id=app_id, name=name, upload=self.world.png()), what=f"document_add by {kind}")

    def do_review(self, app_id, action, kind, *, hooks=True):
        status = self.apps[app_id][1]
        who, sources = REVIEW[action]
        allowed = (kind == "owner" if who == "owner" else kind in who) and status in sources
        if action.endswith("supplement"):  # one service: whoever reviews the current step may ask
            allowed = (kind == "cs" and status == A.CS_REVIEW) or (kind in LR and status in (A.LR_REVIEW,
                                                                                               A.PENDING_PLAN))
        if action in ("submit", "lr_pass"):  # "资料是否齐全", against the product confirmed in review
            allowed = allowed and not self.missing_documents(app_id)
        if action == "resubmit":  # only with a document added or replaced since the request
            allowed = allowed and self.supplemented(app_id)
        before = Application.objects.get(pk=app_id)
        done = self.expect(allowed, review_call(action, self.platform_user(kind, app_id), app_id), hooks=hooks,
                           what=f"{action} by {kind} in {status}")
        if done is None:
            return
        app = Application.objects.get(pk=app_id)
        if action == "lr_pass":
            assert app.status in ((A.DISPATCHING, A.REDISPATCH) if hooks else (A.READY,)), app.status
        elif action == "resubmit":
            assert app.status == before.supplement_return_to
        else:
            assert app.status == TARGET[action], (action, app.status)
        if action.endswith("supplement"):
            assert app.supplement_count == before.supplement_count + 1
            assert app.manual_intervention == (app.supplement_count >= 3)

    def do_answer(self, cand, kind, answer, code=DeclineReason.BUSY):
        """An offer (a ``rows()['cand']`` tuple) answered by ``kind`` of the offered institution's side."""
        actor = self.inst_user(kind, self.by_org[cand[4]])
        if answer == "accept":
            fn = partial(dispatch.offer_accept, actor=actor, candidate_id=cand[0])
        else:
            code = DeclineReason.OTHER if answer == "decline_blank" else code
            text = "" if answer == "decline_blank" else "本月额度已满"
            fn = partial(dispatch.offer_decline, actor=actor, candidate_id=cand[0], code=code, text=text)
        if self.near(cand[7]):
            self.attempt(fn, what="answer at the deadline")
            return
        profile = Profile.objects.get(institution_id=cand[4])
        margin = self.account(cand[4], "margin")
        allowed = kind in ("admin", "officer") and clock.now() < cand[7] and answer != "decline_blank"
        self.expect(allowed, fn, what=f"{answer} by {kind}")
        if not allowed:
            return
        got = Candidate.objects.get(pk=cand[0])
        if answer == "decline":
            assert got.status == C.DECLINED
        elif profile.active_cases >= profile.capacity or margin.balance - margin.held < HOLD:
            assert got.status == C.REFUSED and got.hold_id is None, got.status  # 受理失败, nothing held
        else:
            assert got.status == C.ACCEPTED and Hold.objects.get(pk=got.hold_id).status == "active"

    def do_choice(self, app_id, kind, choice, cand_id):
        d = Dispatch.objects.get(application_id=app_id, status__in=Dispatch.LIVE)  # choosing from the first acceptance
        actor = self.platform_user(kind, app_id)
        note = "客户已在他处贷款" if choice == "refuse" else ""
        fn = partial(dispatch.client_choose, actor=actor, application_id=app_id, candidate_id=cand_id, note=note)
        if self.near(d.choice_deadline):
            self.attempt(fn, what="choice at the deadline")
            return
        accepted = dict(d.candidates.filter(status=C.ACCEPTED).values_list("pk", "hold_id"))
        allowed = kind == "owner" and clock.now() < d.choice_deadline and choice in ("pick", "refuse")
        self.expect(allowed, fn, what=f"choice {choice} by {kind}")
        if not allowed:
            return
        # offers still open when the client chose are withdrawn (no hold, not counted: check_world)
        assert not d.candidates.filter(status=C.OFFERED).exists()
        status = dict(Hold.objects.filter(pk__in=accepted.values()).values_list("pk", "status"))
        for pk, hold in accepted.items():  # the chosen one's hold stays, the others are given back
            assert status[hold] == ("active" if pk == cand_id else "released"), (pk, cand_id, status[hold])
        assert self.app_status(app_id) == (A.IN_INSTITUTION if cand_id else A.REDISPATCH)

    def do_intervene(self, d, kind, action, *, org=None, warnings_ok=True, minutes=240):
        actor = self.c.cm if kind == "cm" else self.platform_user(kind, d[1])
        running = d[3] == D.RUNNING
        if action == "add":
            fn = partial(dispatch.candidate_add, actor=actor, dispatch_id=d[0], institution_id=org.pk,
                                                reason="客户指定该机构", accept_warnings=warnings_ok)
            tried = Candidate.objects.filter(application_id=d[1], institution=org).exists()
            if not (kind == "of" and running and org.pk in self.by_org and not tried):
                self.expect(False, fn, what=f"candidate_add by {kind}")
                return
            profile = Profile.objects.get(institution=org)
            margin = self.account(org.pk, "margin")
            room = profile.active_cases < profile.capacity and margin.balance - margin.held >= HOLD
            if warnings_ok:
                cand = self.expect(True, fn, what="candidate_add by of")
            else:  # the other warnings (health check) are not modelled here
                ok, cand = self.attempt(fn, what="candidate_add without accepting warnings")
                assert not ok or room, "an institution without room was added without a warning"
            if cand is not None:
                assert cand.status == C.OFFERED and cand.manual
        elif action == "extend":
            self.expect(kind == "of" and minutes > 0, lambda: dispatch.window_extend(
                actor=actor, dispatch_id=d[0], minutes=minutes, reason="客户出差，延后答复"),
                what=f"window_extend by {kind}")
        else:
            self.expect(kind == "of" and running, lambda: dispatch.round_close_early(
                actor=actor, dispatch_id=d[0], reason="机构电话确认不受理"), what=f"round_close_early by {kind}")

    def do_redispatch(self, app_id, kind, level):
        """派发失败, or back in 待贷审审核 after an institution could not lend: dispatched again by 贷审."""
        levels = dispatch_selectors.cluster_levels()
        last = Dispatch.objects.filter(application_id=app_id).order_by("-attempt").first()
        allowed_levels = levels[levels.index(last.level):] if last.level in levels else levels  # same or wider
        allowed = kind in LR and level in allowed_levels
        before = self.apps[app_id][1]
        if before == A.LR_REVIEW:
            allowed = allowed and not self.missing_documents(app_id)
        self.expect(allowed, lambda: dispatch.redispatch(
            actor=self.platform_user(kind, app_id), application_id=app_id, level=level, comment="扩大区域"),
            what=f"redispatch by {kind}")
        # dispatched again (running, or failed at once when nobody qualifies); a refused attempt changes nothing
        assert self.app_status(app_id) in ((A.DISPATCHING, A.REDISPATCH) if allowed else (before,))

    def do_case(self, case, kind, action, *, officer=None, amount="50000"):
        """A ``rows()['case']`` tuple worked by ``kind`` of the chosen institution's side (or an outsider)."""
        case_id, app_id, status = case[0], case[1], case[4]
        partner = self.by_org[case[3]]
        actor = self.inst_user(kind, partner)
        may_handle = kind == "admin" or (kind == "officer" and case[5] == partner.officer.pk)
        if action == "allocate":
            officer = officer or partner.officer
            fn = partial(cases.case_allocate, actor=actor, case_id=case_id, officer_id=officer.pk)
            allowed = kind == "admin" and status in (Case.Status.NEW, Case.Status.ALLOCATED, Case.Status.REVIEWING)
        elif action == "review":
            fn = partial(cases.case_start_review, actor=actor, case_id=case_id, note="资料齐全")
            allowed = may_handle and status == Case.Status.ALLOCATED
        elif action == "book":
            fn = partial(cases.case_book_signing, actor=actor, case_id=case_id,
                                                 at=clock.now(), place="机构营业厅")
            allowed = may_handle and status in (Case.Status.REVIEWING, Case.Status.SIGNING)
        elif action == "sign":
            fn = partial(cases.case_record_signing, actor=actor, case_id=case_id, note="客户已签约")
            allowed = may_handle and status == Case.Status.SIGNING
        elif action == "disburse":
            fn = partial(cases.case_disburse, actor=actor, case_id=case_id, amount=amount,
                                             disbursed_on=clock.today(), contract_no="HT-SM-1", term_months=12,
                                             annual_rate="6.5")
            allowed = may_handle and status == Case.Status.SIGNED and Decimal(amount) <= Decimal("50000")
        else:
            reason = "" if action == "cannot_lend_blank" else "客户征信不符"
            fn = partial(cases.case_cannot_lend, actor=actor, case_id=case_id, reason=reason)
            allowed = may_handle and status in Case.OPEN and bool(reason)
        hold_id = Candidate.objects.values_list("hold_id", flat=True).get(pk=case[2])
        self.expect(allowed, fn, what=f"case {action} by {kind}")
        if not allowed:
            return
        hold = Hold.objects.get(pk=hold_id).status
        if action == "disburse":
            assert self.app_status(app_id) == A.DISBURSED and Settlement.objects.filter(case_id=case_id).exists()
            assert hold == "active"  # held until the settlement is done
        elif action == "cannot_lend":  # 回到待审: 待贷审审核, the institution's reason in the history
            assert self.app_status(app_id) == A.LR_REVIEW and hold == "released"
            assert "客户征信不符" in StatusChange.objects.filter(application_id=app_id).latest("pk").comment

    def do_settle(self, sid, kind, action):
        s = Settlement.objects.select_related("case__candidate").get(pk=sid)
        partner = self.by_org[s.institution_id]
        actor = self.inst_user(kind, partner)
        if kind in ("owner", "other_cm"):
            actor = self.platform_user(kind, s.application_id)
        rated = set(s.ratings.values_list("side", flat=True))
        pending = s.adjustments.filter(status="pending").exists()
        open_rating = s.status == S.RELEASED and s.completed_at is None
        if action.startswith("amount"):
            amount, note = {"amount": (s.disbursed_amount, ""), "amount_other": (Decimal("45000"), "机构口头更正"),
                            "amount_blank": (Decimal("45000"), "")}[action]
            fn = partial(settlement.confirm_amount, actor=actor, settlement_id=sid, amount=amount, note=note)
            allowed = kind == "fo" and s.status == S.CONFIRMING and not s.of_confirmed_at and \
                (note or amount == s.disbursed_amount)
        elif action == "client":
            fn = partial(settlement.confirm_client, actor=actor, settlement_id=sid)
            allowed = kind == "owner" and s.status == S.CONFIRMING and not s.cm_confirmed_at
        elif action == "commission":
            fn = partial(settlement.commission_confirm, actor=actor, settlement_id=sid)
            allowed = kind == "fo" and s.status == S.COMMISSION and not pending
        elif action == "commission_adjust":
            fn = partial(settlement.commission_adjust, actor=actor, settlement_id=sid, reason="机构另有书面约定",
                         commission_amount=s.computed_commission - Decimal("0.01") if s.computed_commission else 1,
                         service_fee=s.computed_service_fee or 0)
            allowed = kind == "fo" and s.status == S.COMMISSION and not pending
        elif action in ("commission_approve", "commission_reject"):
            fn = partial(settlement.commission_decide, actor=actor, settlement_id=sid,
                         approve=action == "commission_approve", note="已核对")
            allowed = kind == "of" and s.status == S.COMMISSION and pending
        elif action == "pay_cash":
            fn = partial(settlement.pay_from_cash, actor=actor, settlement_id=sid)
            allowed = kind == "admin" and s.status == S.STATEMENT and \
                self.account(s.institution_id, "cash").balance >= s.total
        elif action == "pay_offline":
            fn = partial(settlement.pay_offline, actor=actor, settlement_id=sid, bank_reference="BANK-SM-1",
                                                voucher_path="settlements/voucher.png")
            allowed = kind == "admin" and s.status == S.STATEMENT
        elif action == "receipt":
            fn = partial(settlement.confirm_receipt, actor=actor, settlement_id=sid, approve=True)
            allowed = kind == "st" and s.status == S.PAID
        elif action == "receipt_reject":
            fn = partial(settlement.confirm_receipt, actor=actor, settlement_id=sid, approve=False,
                                                    reason="未查到到账记录")
            allowed = kind == "st" and s.status == S.PAID and s.method == Settlement.Method.OFFLINE
        elif action == "release":
            fn = partial(settlement.release, actor=actor, settlement_id=sid)
            allowed = kind == "fo" and s.status == S.CONFIRMED
        elif action == "rate_inst":
            fn = partial(settlement.rate, actor=actor, settlement_id=sid, side=Rating.Side.INSTITUTION, stars=5)
            allowed = kind == "admin" and open_rating and Rating.Side.INSTITUTION not in rated
        elif action == "rate_platform":
            fn = partial(settlement.rate, actor=actor, settlement_id=sid, side=Rating.Side.PLATFORM, stars=4)
            allowed = kind in ("of", "fo", "owner") and open_rating and Rating.Side.PLATFORM not in rated
        else:
            task = FollowUp.objects.filter(settlement=s, done_at__isnull=True).first()
            if task is None:
                return
            fn = partial(settlement.follow_up_done, actor=actor, follow_up_id=task.pk, note="已电话联系机构财务")
            allowed = kind == "fo"
        self.expect(allowed, fn, what=f"settlement {action} by {kind}")
        if not allowed:
            return
        s.refresh_from_db()
        if action == "pay_cash":
            self.money[s.institution_id] -= s.total
            assert s.status == S.PAID and s.payment_entry_id
        elif action == "release":
            assert Hold.objects.get(pk=s.case.candidate.hold_id).status == "released"
            assert self.app_status(s.application_id) == A.RATING

    def do_sweep(self):
        """The beat sweeps: start what was left 待派发, apply due timers, settlement reminders and rating
        windows. A second run right after changes nothing (a timer that fires twice acts once)."""
        STATS["sweep"] += 1
        self.call(lambda: (dispatch.dispatch_start_pending(), dispatch.timers_sweep(), settlement.settlements_sweep()))
        assert not Timer.objects.filter(done_at__isnull=True, due_at__lte=clock.now()).exists()
        assert not Application.objects.filter(status=A.READY).exists()
        before = rows()
        assert dispatch.dispatch_start_pending() == 0
        assert dispatch.timers_sweep() == 0
        assert settlement.settlements_sweep() == {"reminded": 0, "escalated": 0, "completed": 0}
        assert rows() == before

    # ---- rules: applications ----

    @initialize(n=st.integers(1, 2))
    def first_clients(self, n):
        """Every example starts with one or two clients entered by their CMs."""
        for i in range(n):
            cm = (self.c.cm, self.c.cm2)[i]
            app = self.do_create(cm, self.member_new(cm), cm)
            for name in self.world.product.checklist:
                review.document_add(actor=cm, application_id=app.pk, name=name, upload=self.world.png())

    @precondition(lambda self: sum(a[1] not in FINAL for a in self.apps.values()) < MAX_APPS)
    @rule(data=st.data())
    def new_application(self, data):
        """A CM enters an application for a new or returning client (sometimes a document short); a second
        live application for the same client and product, or one entered by a non-CM, is refused."""
        cm = data.draw(st.sampled_from([self.c.cm, self.c.cm2]), label="cm")
        known = list(Member.objects.filter(registered_by=cm, status=Member.Status.VERIFIED).order_by("pk"))
        if known and data.draw(st.booleans(), label="returning client"):
            member = data.draw(st.sampled_from(known), label="member")
        else:
            member = self.member_new(cm)
        actor = cm if data.draw(st.integers(0, 5), label="right actor") else data.draw(
            st.sampled_from([self.c.cs, self.c.lr, self.c.of, self.partners[0].user]), label="wrong actor")
        app = self.do_create(cm, member, actor)
        if app is not None:
            checklist = self.world.product.checklist
            for name in checklist if data.draw(st.integers(0, 3), label="all documents") else checklist[1:]:
                review.document_add(actor=cm, application_id=app.pk, name=name, upload=self.world.png())

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def add_document(self, data):
        app_id = data.draw(st.sampled_from(sorted(self.apps)), label="application")
        kind = data.draw(st.sampled_from(["owner", "owner", "other_cm", "cs"]), label="actor")
        missing = self.missing_documents(app_id)
        self.do_document(app_id, kind, missing[0] if missing else "补充说明")

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def review_step(self, data):
        """Review actions by anyone on any application: mostly the action the status calls for, taken by
        whoever is drawn (usually the wrong person, who must be refused; sometimes the right one)."""
        app_id = data.draw(st.sampled_from(sorted(self.apps)), label="application")
        fitting = NEXT_REVIEW.get(self.apps[app_id][1])
        action = data.draw(st.sampled_from(fitting), label="fitting action") if fitting and data.draw(
            st.integers(0, 2), label="fitting") else data.draw(st.sampled_from(sorted(REVIEW)), label="action")
        kind = data.draw(st.sampled_from(PLATFORM_KINDS), label="actor")
        hooks = not (action == "lr_pass" and not data.draw(st.integers(0, 3), label="hook lost"))
        self.do_review(app_id, action, kind, hooks=hooks)

    @precondition(lambda self: self.apps)
    @rule(data=st.data())
    def confirm_product(self, data):
        """确认贷款类型（产品）: 客服 in 客服审核, 贷审 in 贷审审核/待审出方案 confirm the product or change it (a reason
        required); a change re-checks the checklist and asks the CM for what the new product lacks."""
        app_id = data.draw(st.sampled_from(sorted(self.apps)), label="application")
        kind = data.draw(st.sampled_from(["cs", "lr", "lrs", "owner", "of"]), label="actor")
        product = data.draw(st.sampled_from([self.world.product, self.world.product2]), label="product")
        reason = data.draw(st.sampled_from(["", "客户以房产作抵押"]), label="reason")
        app = Application.objects.get(pk=app_id)
        status = app.status
        right = (kind == "cs" and status == A.CS_REVIEW) or (kind in LR and status in (A.LR_REVIEW, A.PENDING_PLAN))
        change = product.pk != app.product_id
        clash = change and Application.objects.filter(member_id=app.member_id, product=product).exclude(
            pk=app_id).exclude(status__in=FINAL).exists()
        done = self.expect(right and (not change or (reason and not clash)), lambda: review.product_confirm(
            actor=self.platform_user(kind, app_id), application_id=app_id, product=product, reason=reason),
            what=f"product_confirm by {kind}")
        if done is None:
            return
        after = Application.objects.get(pk=app_id)
        assert after.product_id == product.pk
        assert after.status == (A.SUPPLEMENT if change and self.missing_documents(app_id) else status)

    # ---- rules: dispatch ----

    def offered(self):
        return [c for c in self.r["cand"] if c[5] == C.OFFERED]

    @precondition(lambda self: self.offered())
    @rule(data=st.data())
    def answer_offer(self, data):
        """An institution accepts or declines; its read-only viewer, another tenant or 数银 staff cannot."""
        cand = data.draw(st.sampled_from(self.offered()), label="offer")
        kind = data.draw(st.sampled_from(["admin", "admin", "officer", "viewer", "other", "b_admin", "of"]),
                         label="actor")
        answer = data.draw(st.sampled_from(["accept", "accept", "decline", "decline_blank"]), label="answer")
        self.do_answer(cand, kind, answer, data.draw(st.sampled_from(DeclineReason.values), label="code"))

    def with_status(self, *statuses):
        return sorted(pk for pk, a in self.apps.items() if a[1] in statuses)

    @precondition(lambda self: self.with_status(A.AWAITING_CHOICE))
    @rule(data=st.data())
    def client_choice(self, data):
        """The CM records the client's pick (or refusal of all); another CM, customer service, 跟单 or an
        institution cannot; a non-accepting institution cannot be picked; a refusal needs a reason."""
        app_id = data.draw(st.sampled_from(self.with_status(A.AWAITING_CHOICE)), label="application")
        accepted = sorted(c[0] for c in self.r["cand"] if c[3] == app_id and c[5] == C.ACCEPTED)
        others = sorted(c[0] for c in self.r["cand"] if c[3] == app_id and c[5] != C.ACCEPTED)
        kind = data.draw(st.sampled_from(["owner", "owner", "other_cm", "cs", "of", "inst"]), label="actor")
        choice = data.draw(st.sampled_from(["pick", "pick", "refuse", "refuse_blank"] + (["other"] if others else [])),
                           label="choice")
        cand_id = data.draw(st.sampled_from(accepted if choice == "pick" else others), label="candidate") \
            if choice in ("pick", "other") else None
        self.do_choice(app_id, kind, choice, cand_id)

    def live(self):
        return [d for d in self.r["dispatch"] if d[3] in Dispatch.LIVE]

    @precondition(lambda self: self.live())
    @rule(data=st.data())
    def intervene(self, data):
        """跟单 adds an institution by hand (any: tried before, without a dispatch profile, without room),
        extends a window (zero minutes is refused) or closes a round early; others cannot."""
        d = data.draw(st.sampled_from(self.live()), label="dispatch")
        kind = data.draw(st.sampled_from(["of", "of", "of", "lr", "cm", "st", "inst"]), label="actor")
        action = data.draw(st.sampled_from(["add", "add", "extend", "close"]), label="action")
        org = data.draw(st.sampled_from([p.org for p in self.partners] + [self.c.inst_a, self.c.inst_b]),
                        label="institution")
        self.do_intervene(d, kind, action, org=org, warnings_ok=data.draw(st.booleans(), label="accept warnings"),
                          minutes=data.draw(st.sampled_from([0, 30, 240, 1440]), label="minutes"))

    def redispatchable(self):
        back = {a for a in self.with_status(A.LR_REVIEW) if any(d[1] == a for d in self.r["dispatch"])}
        return sorted(set(self.with_status(A.REDISPATCH)) | back)

    @precondition(lambda self: self.redispatchable())
    @rule(data=st.data())
    def redispatch(self, data):
        """贷审 dispatches again (after 派发失败, or from review after "cannot lend") at the level used last time
        or wider; a narrower level, or another role, is refused. (Rejecting instead is a review step.)"""
        app_id = data.draw(st.sampled_from(self.redispatchable()), label="application")
        kind = data.draw(st.sampled_from(["lr", "lr", "lrs", "cs", "of", "owner"]), label="actor")
        self.do_redispatch(app_id, kind, data.draw(st.sampled_from(dispatch_selectors.cluster_levels()),
                                                   label="level"))

    # ---- rules: the institution's case work and settlement ----

    @precondition(lambda self: self.r["case"])
    @rule(data=st.data())
    def case_work(self, data):
        """Case steps by anyone: the chosen institution's admin or officer (the officer only on a case
        allocated to them), its viewer, another tenant, 数银 staff; mostly the step the case is at."""
        case = data.draw(st.sampled_from(self.r["case"]), label="case")
        kind = data.draw(st.sampled_from(CASE_KINDS), label="actor")
        action = CASE_NEXT.get(case[4])
        if action is None or not data.draw(st.integers(0, 2), label="fitting"):
            action = data.draw(st.sampled_from(["allocate", "review", "book", "sign", "disburse", "cannot_lend",
                                                "cannot_lend_blank"]), label="action")
        partner = self.by_org[case[3]]
        self.do_case(case, kind, action,
                     officer=data.draw(st.sampled_from([partner.officer, partner.user]), label="officer"),
                     amount=data.draw(st.sampled_from(["50000", "32000.50", "60000"]), label="amount"))

    @precondition(lambda self: any(s[10] is None for s in self.r["settlement"]))
    @rule(data=st.data())
    def settle(self, data):
        """Settlement steps by anyone: each belongs to exactly one role and one state; mostly the step the
        settlement is at, taken by whoever is drawn."""
        sid = data.draw(st.sampled_from([s[0] for s in self.r["settlement"] if s[10] is None]), label="settlement")
        fitting = self.settlement_next(Settlement.objects.get(pk=sid), data)[0]
        action = fitting if data.draw(st.integers(0, 2), label="fitting") else data.draw(st.sampled_from([
            "amount", "amount_other", "amount_blank", "client", "commission", "commission_adjust",
            "commission_approve", "commission_reject", "pay_cash", "pay_offline", "receipt",
            "receipt_reject", "release", "rate_inst", "rate_platform", "follow_up"]), label="action")
        self.do_settle(sid, data.draw(st.sampled_from(SETTLE_KINDS), label="actor"), action)


    # ---- rules: an application's natural next step (four copies: drawn four times as often) ----

    def progress(self, data):
        """One to four natural next steps of one application, each by the right person (so each must
        succeed), with the invariants checked after each. Before a step, now and then an intruder (someone
        else of the pool that could reach the same button) tries it first and must be refused."""
        live_apps = sorted(pk for pk, a in self.apps.items() if a[1] not in FINAL)
        if not live_apps:
            return
        app_id = data.draw(st.sampled_from(live_apps), label="progress application")
        for i in range(data.draw(st.integers(1, 4), label="steps")):
            if i:
                self.consistent()
            if self.apps[app_id][1] in FINAL:
                return
            self.next_step(app_id, data)

    def step(self, data, run, right: str, pool, also_right=()):
        """``run(kind)`` by an intruder first (one time in three), then by ``right``."""
        intruders = [k for k in pool if k != right and k not in also_right]
        if intruders and not data.draw(st.integers(0, 2), label="intruder first"):
            run(data.draw(st.sampled_from(intruders), label="intruder"))
        run(right)

    def next_step(self, app_id, data):
        status = self.apps[app_id][1]
        pick = lambda options, label: data.draw(st.sampled_from(options), label=label)
        if status == A.LR_REVIEW and app_id in self.redispatchable() and not self.missing_documents(app_id) \
                and pick([True, False], "dispatch again"):
            _levels, level = dispatch.redispatch_levels(Application.objects.get(pk=app_id))
            self.step(data, lambda k: self.do_redispatch(app_id, k, level), "lr", REDISPATCH_KINDS, LR)
        elif status in NEXT_REVIEW:
            action = pick(NEXT_REVIEW[status], "review action")
            if action in ("submit", "resubmit", "lr_pass") and self.missing_documents(app_id):
                self.do_document(app_id, "owner", self.missing_documents(app_id)[0])
            if action == "resubmit" and not self.supplemented(app_id):
                self.do_document(app_id, "owner", "其他补充资料")
            who = REVIEW[action][0]
            kind = "owner" if who == "owner" else pick(sorted(who), "reviewer")
            hooks = action != "lr_pass" or pick([True] * 5 + [False], "hook")
            self.step(data, lambda k: self.do_review(app_id, action, k, hooks=hooks), kind, PLATFORM_KINDS,
                      () if who == "owner" else who)
        elif status == A.READY:
            self.do_sweep()
        elif status == A.DISPATCHING:
            d = next(d for d in self.live() if d[1] == app_id)
            offers = [c for c in self.offered() if c[1] == d[0] and not self.near(c[7]) and clock.now() < c[7]]
            move = pick(["answer"] * 6 + ["close", "extend", "add"], "dispatch move") if offers else \
                pick(["close", "sweep"], "no offer left")
            if move == "answer":
                cand, answer = pick(offers, "offer"), pick(["accept"] * 4 + ["decline"], "answer")
                self.step(data, lambda k: self.do_answer(cand, k, answer), pick(["admin", "officer"], "by"),
                          ANSWER_KINDS, ("admin", "officer"))
            elif move == "sweep":
                self.do_sweep()
            else:
                org = pick([p.org for p in self.partners], "institution")
                self.step(data, lambda k: self.do_intervene(d, k, move, org=org), "of", OF_KINDS)
        elif status == A.AWAITING_CHOICE:
            accepted = sorted(c[0] for c in self.r["cand"] if c[3] == app_id and c[5] == C.ACCEPTED)
            choice = pick(["pick"] * 6 + ["refuse"], "choice")
            cand_id = pick(accepted, "chosen") if choice == "pick" else None
            self.step(data, lambda k: self.do_choice(app_id, k, choice, cand_id), "owner", CHOICE_KINDS)
        elif status == A.REDISPATCH:
            if pick([True] * 5 + [False], "again"):
                _levels, level = dispatch.redispatch_levels(Application.objects.get(pk=app_id))
                self.step(data, lambda k: self.do_redispatch(app_id, k, level), "lr", REDISPATCH_KINDS, LR)
            else:
                self.do_review(app_id, "lr_reject", "lr")
        elif status == A.IN_INSTITUTION:
            case = next(c for c in self.r["case"] if c[1] == app_id and c[4] in Case.OPEN)
            action = CASE_NEXT[case[4]] if pick([True] * 9 + [False], "carry on") else "cannot_lend"
            partner = self.by_org[case[3]]
            kind = "officer" if case[5] == partner.officer.pk and pick([True, False], "officer acts") else "admin"
            officer, amount = pick([partner.officer, partner.user], "officer"), pick(["50000", "32000.50"], "amount")

            def run(k):
                fresh = next(c for c in rows()["case"] if c[0] == case[0])
                self.do_case(fresh, k, action, officer=officer, amount=amount)
            self.step(data, run, kind, CASE_KINDS, ("admin", "officer"))
        else:  # disbursed, settling, rating
            s = Settlement.objects.get(application_id=app_id)
            action, kind, also = self.settlement_next(s, data)
            self.step(data, lambda k: self.do_settle(s.pk, k, action), kind, SETTLE_KINDS, also)

    def settlement_next(self, s, data):
        """(action, right kind, other right kinds) of the step settlement ``s`` is at."""
        pick = lambda options, label: data.draw(st.sampled_from(options), label=label)
        if s.status == S.CONFIRMING:
            return ("client", "owner", ()) if s.of_confirmed_at else \
                ("amount", "fo", ()) if s.cm_confirmed_at else pick([("amount", "fo", ()), ("client", "owner", ())],
                                                                     "confirmation")
        if s.status == S.COMMISSION:  # 佣金金额确认: confirmed as computed, or adjusted and decided by another
            if s.adjustments.filter(status="pending").exists():
                return (pick(["commission_approve", "commission_reject"], "decision"), "of", ())
            return (pick(["commission"] * 3 + ["commission_adjust"], "commission"), "fo", ())
        if s.status == S.STATEMENT:
            cash = self.account(s.institution_id, "cash").balance
            return ("pay_cash" if cash >= s.total and pick([True] * 3 + [False], "cash") else "pay_offline",
                    "admin", ())
        if s.status == S.PAID:
            reject = s.method == Settlement.Method.OFFLINE and not pick([True] * 3 + [False], "received")
            return ("receipt_reject" if reject else "receipt", "st", ())
        if s.status == S.CONFIRMED:
            return ("release", "fo", ())
        if Rating.Side.INSTITUTION not in set(s.ratings.values_list("side", flat=True)):
            return ("rate_inst", "admin", ())
        return ("rate_platform", pick(["of", "fo", "owner"], "rater"), ("of", "fo", "owner"))

    @rule(data=st.data())
    def progress_1(self, data):
        self.progress(data)

    @rule(data=st.data())
    def progress_2(self, data):
        self.progress(data)

    @rule(data=st.data())
    def progress_3(self, data):
        self.progress(data)

    @rule(data=st.data())
    def progress_4(self, data):
        self.progress(data)

    # ---- rules: money ----

    @rule(data=st.data(), amount=st.sampled_from(["300", "1000", "2500.50"]))
    def recharge_offline(self, data, amount):
        """An institution reports a bank transfer; the settlement clerk confirms or rejects it, once. The
        institution itself or a CM posting the clerk's decision page gets 403 and changes nothing."""
        p = data.draw(st.sampled_from(self.partners), label="partner")
        r = ledger.recharge_offline_submit(institution=p.org, amount=amount, bank_reference="SM-BANK",
                                           voucher_path="vouchers/x.png", user=p.user)
        if data.draw(st.booleans(), label="wrong decider first"):
            client = self.world.clients[data.draw(st.sampled_from(["p1_admin", "cm"]), label="client")]
            before = rows()
            resp = client.post(f"/ops/finance/recharges/{r.pk}/decide/", {"decision": "approve"})
            assert resp.status_code == 403 and rows() == before
            STATS["recharge decision by a wrong role: refused"] += 1
        approve = data.draw(st.integers(0, 3), label="approve") > 0
        ledger.recharge_offline_decide(recharge_id=r.pk, user=self.c.st, approve=approve,
                                       reason="" if approve else "未到账")
        if approve:
            self.money[p.org.pk] += Decimal(amount)
        self.expect(False, lambda: ledger.recharge_offline_decide(recharge_id=r.pk, user=self.c.st, approve=True),
                    what="a second decision on one recharge")

    @rule(data=st.data(), amount=st.sampled_from(["500", "1800"]))
    def recharge_online(self, data, amount):
        """Online recharge through the local gateway: credited once, a replayed notice changes nothing, a
        notice with a forged amount is refused."""
        p = data.draw(st.sampled_from(self.partners), label="partner")
        r = ledger.recharge_online_create(institution=p.org, amount=amount, user=p.user)
        pay = ledger.gateway_pay(order_no=r.order_no, notify_url="http://t/notify", return_url="http://t/return")
        if data.draw(st.booleans(), label="forged first"):
            self.expect(False, lambda: ledger.recharge_online_paid(order_no=r.order_no, txn_id=pay.txn_id,
                                                                   amount=Decimal(amount) + 1), what="a forged notice")
        assert ledger.recharge_online_paid(order_no=r.order_no, txn_id=pay.txn_id, amount=Decimal(amount))[1]
        self.money[p.org.pk] += Decimal(amount)
        before = rows()
        assert ledger.recharge_online_paid(order_no=r.order_no, txn_id=pay.txn_id, amount=Decimal(amount))[1] is False
        assert rows() == before

    @rule(data=st.data(), amount=st.sampled_from(["100", "900", "2000", "6000", "20000"]),
          pair=st.sampled_from([("cash", "margin"), ("margin", "cash"), ("cash", "risk")]))
    def transfer(self, data, amount, pair):
        """An institution moves money between its accounts: refused beyond the free balance (for margin:
        beyond the position, so a hold is never undercut). A read-only operator's post gets 403."""
        p = data.draw(st.sampled_from(self.partners), label="partner")
        if not data.draw(st.integers(0, 4), label="right role"):
            before = rows()
            resp = self.world.clients["p1_viewer"].post("/inst/finance/transfer/", {
                "transfer": "1", "direction": f"{pair[0]}>{pair[1]}", "amount": amount, "idem": "x"})
            assert resp.status_code == 403 and rows() == before
            STATS["transfer by a read-only operator: refused"] += 1
            return
        src = self.account(p.org.pk, pair[0])
        self.expect(src.balance - src.held >= Decimal(amount), lambda: ledger.transfer(
            institution=p.org, source=pair[0], target=pair[1], amount=amount), what=f"transfer {pair[0]}>{pair[1]}")

    # ---- rules: time ----

    @rule(step=st.sampled_from(STEPS))
    def advance_clock(self, step):
        """Time passes; deadlines fall due, but nothing happens until a sweep (people may act meanwhile)."""
        clock.shift(step)

    @rule()
    def sweep(self):
        self.do_sweep()

    # ---- after every step ----

    @invariant()
    def consistent(self):
        self.refresh()
        STATS["steps"] += 1
        for a in self.r["app"]:
            STATS[f"reached {a[1]}"] += 1
        check_world(self.r, hold_seen=self.hold_seen)
        check_books(self.money)


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["default", pytest.param("full", marks=pytest.mark.chaos)])
def test_workflow_state_machine(size, cast, partners, fund, product, clock_reset):
    from conftest import PASSWORD
    from tests.fixtures.workflow import png

    ps = build_partners(cast, partners, fund)
    clients = {}
    for name, user, area in [("p1_admin", ps[0].user, "inst"), ("p1_viewer", ps[0].viewer, "inst"),
                             ("cm", cast.cm, "ops")]:
        clients[name] = Client()
        resp = clients[name].post(f"/{area}/login/", {"username": user.username, "password": PASSWORD})
        assert resp.status_code == 302
    from apps.products.models import Product

    product2 = Product.objects.create(code="t-house", name="测试房抵贷", category="mortgage", hold_amount=product.hold_amount,
                                      checklist=[*product.checklist, "房产证"])
    WorkflowMachine.world = SimpleNamespace(cast=cast, partners=ps, product=product, product2=product2, png=png,
                                            clients=clients)
    if os.environ.get("CHAOS") == "1":
        size = "full"
    STATS.clear()
    request_log = logging.getLogger("django.request")  # the 403s asked for are not news
    level, request_log.level = request_log.level, logging.ERROR
    try:
        run_state_machine_as_test(WorkflowMachine, settings=settings(
            **PROFILES[size], deadline=None, print_blob=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                   HealthCheck.filter_too_much]))
    finally:
        request_log.setLevel(level)
    if os.environ.get("SM_STATS"):
        print()
        for key, n in sorted(STATS.items()):
            print(f"{n:7d}  {key}")
