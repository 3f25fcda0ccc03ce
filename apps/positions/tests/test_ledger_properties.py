"""Random sequences of recharge, transfer, hold, release, capture, penalty and adjustment keep every
ledger invariant, and the balances match a simple model of what should have happened."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from apps.positions import services
from apps.positions.models import Account, Approval
from apps.positions.selectors import ledger_check

K = Account.Kind
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)


class LedgerMachine(RuleBasedStateMachine):
    counter = 0

    @initialize()
    def setup(self):
        from apps.accounts.models import Organization, User
        from apps.accounts.services import organization_create

        LedgerMachine.counter += 1
        n = LedgerMachine.counter
        self.org = organization_create(code=f"hyp-{n}", name=f"性质测试机构{n}", kind=Organization.Kind.INSTITUTION)
        self.clerk = User.objects.get(username="t_st")
        self.checker = User.objects.get(username="t_bd")
        self.model = {K.CASH: Decimal(0), K.MARGIN: Decimal(0), K.RISK: Decimal(0)}
        self.holds = {}  # id → amount (active)
        self.seq = 0

    def held(self):
        return sum(self.holds.values(), Decimal(0))

    @rule(amount=amounts)
    def recharge(self, amount):
        r = services.recharge_offline_submit(institution=self.org, amount=amount, bank_reference="H",
                                             voucher_path="", user=self.clerk)
        services.recharge_offline_decide(recharge_id=r.pk, user=self.clerk, approve=True)
        self.model[K.CASH] += amount

    @rule(pair=st.sampled_from([(K.CASH, K.MARGIN), (K.MARGIN, K.CASH), (K.CASH, K.RISK)]), amount=amounts)
    def transfer(self, pair, amount):
        source, target = pair
        free = self.model[source] - (self.held() if source == K.MARGIN else 0)
        try:
            services.transfer(institution=self.org, source=source, target=target, amount=amount)
        except services.LedgerError:
            assert amount > free
            return
        assert amount <= free
        self.model[source] -= amount
        self.model[target] += amount

    @rule(amount=amounts)
    def hold(self, amount):
        self.seq += 1
        position = self.model[K.MARGIN] - self.held()
        try:
            h = services.hold_place(institution=self.org, ref_type="case", ref_id=f"{self.org.pk}-{self.seq}",
                                    amount=amount)
        except services.LedgerError:
            assert amount > position
            return
        assert amount <= position
        self.holds[h.pk] = amount

    @precondition(lambda self: self.holds)
    @rule(data=st.data())
    def release(self, data):
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        assert services.hold_release(hold_id=hold_id) is True
        assert services.hold_release(hold_id=hold_id) is False
        del self.holds[hold_id]

    @precondition(lambda self: self.holds)
    @rule(data=st.data(), share=st.integers(min_value=1, max_value=100))
    def capture(self, data, share):
        hold_id = data.draw(st.sampled_from(sorted(self.holds)))
        amount = max(Decimal("0.01"), (self.holds[hold_id] * share / 100).quantize(Decimal("0.01")))
        assert services.hold_capture(hold_id=hold_id, amount=amount) is not None
        assert services.hold_capture(hold_id=hold_id) is None
        self.model[K.MARGIN] -= amount
        del self.holds[hold_id]

    @rule(amount=amounts)
    def penalty(self, amount):
        try:
            services.penalise(institution=self.org, amount=amount, reason="性质测试罚款")
        except services.LedgerError:
            assert amount > self.model[K.RISK]
            return
        self.model[K.RISK] -= amount

    @rule(amount=st.decimals(min_value=Decimal("-500"), max_value=Decimal("500"), places=2).filter(lambda d: d != 0))
    def adjustment(self, amount):
        a = services.approval_request(kind=Approval.Kind.ADJUSTMENT, institution=self.org, account_kind=K.CASH,
                                      amount=amount, reason="性质测试调账", user=self.clerk)
        try:
            services.approval_decide(approval_id=a.pk, user=self.checker, approve=True)
        except services.LedgerError:
            assert self.model[K.CASH] + amount < 0
            return
        self.model[K.CASH] += amount

    @invariant()
    def books_balance(self):
        if not hasattr(self, "org"):
            return
        assert ledger_check() == []
        accts = services.institution_accounts(self.org)
        assert {k: accts[k].balance for k in self.model} == self.model
        assert accts[K.MARGIN].held == self.held()
        assert accts[K.MARGIN].available >= 0


@pytest.mark.django_db
def test_ledger_state_machine(cast):
    run_state_machine_as_test(LedgerMachine, settings=settings(
        max_examples=25, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
