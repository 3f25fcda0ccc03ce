"""Support for the state machine of ``test_state_machine.py``: the world it runs in (partners with staff of
three kinds), a fingerprint of every row an action can change (to prove a refusal changed nothing) and the
invariants checked after every step."""
from collections import Counter, defaultdict
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from apps.applications.models import BEFORE_DISPATCH, Application, Document, StatusChange, Status as A
from apps.cases.models import Case
from apps.dispatch.models import Candidate, Dispatch, Event, LostCase, Profile, Round, Timer
from apps.messaging.models import Message
from apps.positions.models import Account, Hold, JournalEntry, JournalLine, Recharge
from apps.positions.selectors import ledger_check
from apps.settlement.models import CommissionAdjustment, FollowUp, Rating, Settlement

ZERO = Decimal("0.00")
HOLD = Decimal("1000.00")  # the test product's per-case hold
REFUSALS = (PermissionDenied, ValidationError, Http404)  # LedgerError is a ValidationError
C, D, S = Candidate.Status, Dispatch.Status, Settlement.Status

# margin, cash and concurrent capacity of each partner: two roomy ones, one without cash (its statements
# cannot be paid from cash until it recharges), one whose position covers a single hold, one that can
# hold one case at a time
PARTNERS = [("10000", "3000", 20), ("10000", "3000", 20), ("10000", "0", 20), ("1500", "1000", 20),
            ("5000", "3000", 1)]


def build_partners(cast, partners, fund):
    """The partner institutions, each with its admin (``.user``), an officer and a read-only viewer."""
    from apps.accounts.services import institution_role, user_create

    out = []
    for i, (margin, cash, capacity) in enumerate(PARTNERS, start=1):
        (p,) = partners(1, margin=margin, capacity=capacity)
        if Decimal(cash):
            fund(p.org, clerk=cast.st, cash=cash)
        p.officer = user_create(username=f"t_p{i}_officer", password=cast.password, real_name=f"P{i}业务员",
                                organization=p.org, roles=[institution_role(p.org, "inst_officer")], superior=p.user)
        p.viewer = user_create(username=f"t_p{i}_viewer", password=cast.password, real_name=f"P{i}只读",
                               organization=p.org, roles=[institution_role(p.org, "inst_viewer")])
        out.append(p)
    return out


def institution_money(org_ids) -> dict[int, Decimal]:
    """cash + margin + risk of each institution (what it has with 数银, held or not)."""
    totals = defaultdict(lambda: ZERO)
    for owner, balance in Account.objects.filter(owner_id__in=org_ids).values_list("owner_id", "balance"):
        totals[owner] += balance
    return {pk: totals[pk] for pk in org_ids}


def rows():
    """Everything a service of the workflow or the ledger writes, as plain tuples (one query per table)."""
    return {
        "app": list(Application.objects.order_by("pk").values_list(
            "pk", "status", "supplement_count", "manual_intervention", "supplement_return_to")),
        "doc": Document.objects.count(),
        "history": list(StatusChange.objects.order_by("pk").values_list("pk", "application_id", "from_status",
                                                                         "to_status")),
        "dispatch": list(Dispatch.objects.order_by("pk").values_list(
            "pk", "application_id", "attempt", "status", "accepted_count", "round_count", "chosen_id", "cutoff_at",
            "choice_deadline", "level")),
        "round": list(Round.objects.order_by("pk").values_list("pk", "dispatch_id", "closed_at", "deadline")),
        "cand": list(Candidate.objects.order_by("pk").values_list(
            "pk", "dispatch_id", "round_id", "application_id", "institution_id", "status", "hold_id", "deadline")),
        "timer": list(Timer.objects.order_by("pk").values_list("pk", "dispatch_id", "due_at", "done_at", "attempts")),
        "event": Event.objects.count(),
        "lost": LostCase.objects.count(),
        "profile": list(Profile.objects.order_by("pk").values_list(
            "pk", "institution_id", "active_cases", "capacity", "dispatched_count", "accepted_count",
            "declined_count", "lapsed_count", "gave_up_count", "success_count", "rating_count")),
        "case": list(Case.objects.order_by("pk").values_list(
            "pk", "application_id", "candidate_id", "institution_id", "status", "officer_id", "unit_id")),
        "settlement": list(Settlement.objects.order_by("pk").values_list(
            "pk", "case_id", "application_id", "status", "of_confirmed_at", "cm_confirmed_at", "total", "method",
            "payment_entry_id", "reminder_level", "completed_at", "commission_confirmed_at", "commission",
            "service_fee", "computed_commission", "computed_service_fee")),
        "adjustment": list(CommissionAdjustment.objects.order_by("pk").values_list(
            "pk", "settlement_id", "status", "proposed_by_id", "decided_by_id", "commission", "service_fee")),
        "rating": Rating.objects.count(),
        "followup": list(FollowUp.objects.order_by("pk").values_list("pk", "done_at")),
        "account": list(Account.objects.order_by("pk").values_list("pk", "owner_id", "kind", "balance", "held")),
        "hold": list(Hold.objects.order_by("pk").values_list(
            "pk", "account_id", "institution_id", "ref_type", "ref_id", "amount", "status")),
        "entry": JournalEntry.objects.count(),
        "line": JournalLine.objects.count(),
        "recharge": list(Recharge.objects.order_by("pk").values_list("pk", "status")),
        "message": Message.objects.count(),
    }


def check_books(expected_money: dict[int, Decimal]) -> None:
    """The books balance (the ``books_balance`` fixture's check) and every institution holds exactly what it
    put in minus what it paid 数银."""
    breaches = ledger_check(deep=True)
    assert breaches == [], breaches
    assert institution_money(list(expected_money)) == expected_money


def check_world(r: dict, *, hold_seen: dict[int, str]) -> None:
    """The invariants of the whole product over the rows ``r`` (see ``rows``). ``hold_seen`` remembers each
    hold's last status across steps: a resolved hold never changes again (no hold resolved twice)."""
    accounts = {a[0]: a for a in r["account"]}
    holds = {h[0]: h for h in r["hold"]}
    cands = {c[0]: c for c in r["cand"]}
    cases = {c[0]: c for c in r["case"]}
    setts = {s[0]: s for s in r["settlement"]}
    dispatches = {d[0]: d for d in r["dispatch"]}
    rounds = {x[0]: x for x in r["round"]}

    # -- holds: held == sum of active holds, each hold resolved once --
    active_sum = defaultdict(lambda: ZERO)
    for h in holds.values():
        if h[6] == Hold.Status.ACTIVE:
            active_sum[h[1]] += h[5]
        before = hold_seen.get(h[0])
        assert before in (None, Hold.Status.ACTIVE, h[6]), f"hold {h[0]} went from {before} to {h[6]}"
        hold_seen[h[0]] = h[6]
    for pk in hold_seen:
        assert pk in holds, f"hold {pk} disappeared"
    for a in accounts.values():
        assert a[4] == active_sum[a[0]], f"account {a[0]} ({a[2]}) held {a[4]} != active holds {active_sum[a[0]]}"

    # -- every hold belongs to exactly one live candidate or chosen case, and the other way round --
    by_hold = Counter(c[6] for c in cands.values() if c[6] is not None)
    assert all(n == 1 for n in by_hold.values()), by_hold
    case_of_cand = {c[2]: c for c in cases.values()}
    sett_of_case = {s[1]: s for s in setts.values()}
    for h in holds.values():
        assert h[3] == "application" and by_hold[h[0]] == 1, f"hold {h} has no candidate"
    for c in cands.values():
        pk, dispatch_id, _round, app_id, inst, status, hold_id, _deadline = c
        hold = holds.get(hold_id)
        if hold is not None:
            assert (hold[2], hold[4], hold[5]) == (inst, str(app_id), HOLD), (c, hold)
        if status == C.ACCEPTED:
            assert hold and hold[6] == Hold.Status.ACTIVE, f"accepted candidate {pk} without an active hold"
            assert dispatches[dispatch_id][3] in Dispatch.LIVE, c
        elif status == C.CHOSEN:
            case = case_of_cand.get(pk)
            assert case is not None, f"chosen candidate {pk} has no case"
            live = case[4] in Case.OPEN or (case[4] == Case.Status.DISBURSED
                                              and sett_of_case[case[0]][3] != S.RELEASED)
            assert hold and hold[6] == (Hold.Status.ACTIVE if live else Hold.Status.RELEASED), (c, case, hold)
        elif status == C.RELEASED:
            assert hold and hold[6] == Hold.Status.RELEASED, c
        else:
            assert hold_id is None, f"candidate {pk} ({status}) has a hold"
        if status == C.OFFERED:  # an open offer may outlive its round's refill point (its own deadline)
            assert dispatches[dispatch_id][3] == D.RUNNING and c[2] in rounds, c

    # -- statistics count declines and lapses, never a withdrawn offer (not in 派单数 either) --
    per_inst = defaultdict(Counter)
    for c in cands.values():
        per_inst[c[4]][c[5]] += 1
    for p in r["profile"]:
        st = per_inst[p[1]]
        assert p[4] == sum(st.values()) - st[C.CANCELLED], f"profile of {p[1]}: 派单数 {p[4]} vs {dict(st)}"
        assert (p[6], p[7]) == (st[C.DECLINED], st[C.LAPSED]), f"profile of {p[1]}: {p[6:8]} vs {dict(st)}"

    # -- capacity: each institution's active cases are its active holds --
    active_per_inst = Counter(h[2] for h in holds.values() if h[6] == Hold.Status.ACTIVE)
    for p in r["profile"]:
        assert p[2] == active_per_inst[p[1]], f"profile of {p[1]}: active_cases {p[2]} != active holds"
        assert p[2] <= p[3] or p[2] == 0, p

    # -- dispatches agree with their candidates --
    cands_of = defaultdict(list)
    for c in cands.values():
        cands_of[c[1]].append(c)
    open_rounds = Counter(x[1] for x in rounds.values() if x[2] is None)
    for d in dispatches.values():
        pk, app_id, _attempt, status, accepted, _n, chosen_id = d[:7]
        st = Counter(c[5] for c in cands_of[pk])
        if status == D.RUNNING:  # waiting for a refill point or for offers still open
            assert open_rounds[pk] <= 1 and (open_rounds[pk] or st[C.OFFERED]), (d, st)
            assert st[C.ACCEPTED] == accepted and (d[8] is not None) == (accepted >= 1), (d, st)
        else:
            assert open_rounds[pk] == 0 and st[C.OFFERED] == 0, (d, st)
        if status == D.CHOOSING:
            assert st[C.ACCEPTED] == accepted >= 1 and not st[C.CHOSEN] and not st[C.RELEASED], (d, st)
        elif status == D.CHOSEN:
            assert st[C.CHOSEN] == 1 and cands[chosen_id][5] == C.CHOSEN and not st[C.ACCEPTED], (d, st)
            assert st[C.CHOSEN] + st[C.RELEASED] == accepted, (d, st)
        elif status == D.FAILED:
            assert accepted == 0 and not st[C.ACCEPTED] and not st[C.CHOSEN], (d, st)
        elif status in (D.REFUSED, D.LAPSED):
            assert st[C.RELEASED] == accepted >= 1 and not st[C.ACCEPTED] and not st[C.CHOSEN], (d, st)

    # -- each application is in exactly one place --
    disp_of = defaultdict(list)
    for d in dispatches.values():
        disp_of[d[1]].append(d)
    cases_of = defaultdict(list)
    for c in cases.values():
        cases_of[c[1]].append(c)
    setts_of = defaultdict(list)
    for s in setts.values():
        setts_of[s[2]].append(s)
    history = defaultdict(list)
    for h in r["history"]:
        history[h[1]].append(h)
    after_disbursement = {A.DISBURSED, A.SETTLING, A.RATING, A.COMPLETED}
    for app in r["app"]:
        pk, status = app[0], app[1]
        ds, cs_, ss = disp_of[pk], cases_of[pk], setts_of[pk]
        live = [d for d in ds if d[3] in Dispatch.LIVE]
        open_cases = [c for c in cs_ if c[4] in Case.OPEN]
        disbursed = [c for c in cs_ if c[4] == Case.Status.DISBURSED]
        where = (status, [d[3] for d in ds], [c[4] for c in cs_], [s[3] for s in ss])
        assert len(live) <= 1 and len(open_cases) + len(disbursed) <= 1, where
        assert len(cs_) == sum(d[3] == D.CHOSEN for d in ds), where
        if status in BEFORE_DISPATCH:  # never dispatched, or back in review after "cannot lend" (回到待审)
            assert not live and not open_cases and not disbursed, where
            if ds:
                assert status not in (A.DRAFT, A.CS_REVIEW, A.CS_REJECTED), where
                assert cs_ and all(c[4] == Case.Status.CANNOT_LEND for c in cs_), where
        # the client may choose from the first acceptance, while the dispatch may still run
        assert (status == A.DISPATCHING) == bool(live and live[0][8] is None), where
        assert (status == A.AWAITING_CHOICE) == bool(live and live[0][8] is not None), where
        assert (status == A.IN_INSTITUTION) == bool(open_cases), where
        assert (status in after_disbursement) == bool(disbursed) == bool(ss), where
        if open_cases or disbursed:
            case = (open_cases or disbursed)[0]
            last = max(ds, key=lambda d: d[2])
            assert last[3] == D.CHOSEN and last[6] == case[2], where
        if ss:
            s = ss[0]
            expect = {A.DISBURSED: {S.CONFIRMING, S.COMMISSION}, A.SETTLING: {S.STATEMENT, S.PAID, S.CONFIRMED},
                      A.RATING: {S.RELEASED}, A.COMPLETED: {S.RELEASED}}[status]
            assert len(ss) == 1 and s[3] in expect and (s[10] is not None) == (status == A.COMPLETED), where
        if status == A.REDISPATCH:
            assert ds and not live and not open_cases, where
        # the history is a chain that ends at the current status
        chain = history[pk]
        assert chain and chain[-1][3] == status, (status, chain[-1:])
        for prev, nxt in zip(chain, chain[1:]):
            assert nxt[2] == prev[3], (prev, nxt)

    # -- 佣金金额确认: a statement carries the computed figures unless a second person approved others --
    approved = {a[1]: a for a in r["adjustment"] if a[2] == "approved"}
    for a in r["adjustment"]:
        assert a[4] is None or a[4] != a[3], f"adjustment {a[0]} approved by its proposer"
    assert len([a for a in r["adjustment"] if a[2] == "pending"]) == len({a[1] for a in r["adjustment"]
                                                                          if a[2] == "pending"})
    for s in setts.values():
        if s[6] is not None:
            assert s[11] is not None and s[6] == s[12] + s[13], f"settlement {s[0]} issued without its confirmation"
            expected = approved[s[0]][5:7] if s[0] in approved else (s[14], s[15])
            assert (s[12], s[13]) == expected, (s, approved.get(s[0]))

    # -- settlements: money collected once, exactly the statement's total --
    entries = Counter()
    for s in setts.values():
        if s[3] in (S.PAID, S.CONFIRMED, S.RELEASED) and s[7] == Settlement.Method.LEDGER or \
                s[3] in (S.CONFIRMED, S.RELEASED):
            assert s[8] is not None, f"settlement {s[0]} ({s[3]}) without its payment entry"
        if s[8] is not None:
            entries[s[8]] += 1
    assert all(n == 1 for n in entries.values()), entries
    if entries:
        per_entry = dict(JournalEntry.objects.filter(pk__in=list(entries)).values_list("pk", "ref_id"))
        for s in setts.values():
            if s[8] is not None:
                assert per_entry[s[8]] == str(s[0])
        assert JournalEntry.objects.filter(ref_type="settlement").count() == len(entries)

    # -- the sweep never failed on a timer (a failing timer is a 500 in the beat worker) --
    assert not [t for t in r["timer"] if t[4]], [t for t in r["timer"] if t[4]]
