"""Entries for the URL isolation registry (tests/test_url_isolation.py merges ``FOREIGN``): the online
payment page of institution B's order, which A's admin must not reach."""


def b_online_recharge(c):
    from apps.positions.models import Recharge
    from apps.positions.services import recharge_online_create

    r = (Recharge.objects.filter(institution=c.inst_b, method="online").first()
         or recharge_online_create(institution=c.inst_b, amount="10", user=c.b_admin, provider="local"))
    return {"pk": r.pk}


FOREIGN = {"inst:recharge_pay": b_online_recharge}
