"""Entries for the URL isolation registry (tests/test_url_isolation.py merges them): institution B's endpoint and
delivery, which A's admin must not edit, delete or replay."""


def b_endpoint(c):
    from apps.webhooks.models import Delivery, Endpoint

    endpoint = Endpoint.objects.filter(institution=c.inst_b).first()
    if endpoint is None:
        from apps.webhooks import services

        endpoint = services.endpoint_create(actor=c.b_admin, url="https://b.example.com/hook",
                                            events=["offer.created"])
    delivery = endpoint.deliveries.first() or Delivery.objects.create(
        endpoint=endpoint, event="offer.created", payload={"offer_id": 1}, created_at=endpoint.created_at,
        status=Delivery.Status.FAILED)
    return endpoint, delivery


FOREIGN = {
    "inst:webhook_edit": lambda c: {"pk": b_endpoint(c)[0].pk},
    "inst:webhook_delete": lambda c: {"pk": b_endpoint(c)[0].pk},
    "inst:webhook_replay": lambda c: {"pk": b_endpoint(c)[1].pk},
}
