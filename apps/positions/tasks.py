import urllib.parse
import urllib.request

from celery import shared_task
from django.utils import timezone


@shared_task(name="positions.ledger_check")
def ledger_check_task() -> int:
    """Daily proof of the books; administrators and settlement clerks are messaged on a breach."""
    from apps.accounts.models import User
    from apps.messaging.services import message_send

    from .selectors import ledger_check

    breaches = ledger_check()
    if breaches:
        recipients = User.objects.filter(is_active=True, roles__code__in=["sysadmin", "settlement_clerk"],
                                         roles__organization__isnull=True).distinct()
        message_send(recipients=recipients, title=f"账务核对发现 {len(breaches)} 处异常", body="\n".join(breaches),
                     category="finance")
    return len(breaches)


@shared_task(name="positions.expire_recharges")
def expire_recharges_task() -> int:
    from .services import recharges_expire

    return recharges_expire()


@shared_task(name="positions.reconcile_recharges")
def reconcile_recharges_task() -> dict:
    """Online orders whose notice has not come: ask the provider (trade query), credit once or close."""
    from .services import recharges_reconcile

    return recharges_reconcile()


@shared_task(name="positions.gateway_notify", bind=True, max_retries=8)
def gateway_notify_task(self, payment_id: int) -> str:
    """The local gateway's asynchronous notice to the merchant: an HTTP POST of signed fields to the
    notify URL, retried with back-off until the merchant answers ``success``."""
    from .gateway import LocalGateway
    from .models import GatewayPayment

    payment = GatewayPayment.objects.get(pk=payment_id)
    fields = LocalGateway().signed({"order_no": payment.order_no, "txn_id": payment.txn_id,
                                    "amount": str(payment.amount), "status": "SUCCESS"})
    GatewayPayment.objects.filter(pk=payment.pk).update(notify_attempts=payment.notify_attempts + 1)
    try:
        with urllib.request.urlopen(payment.notify_url, data=urllib.parse.urlencode(fields).encode(),
                                    timeout=10) as resp:
            body = resp.read().decode().strip()
    except OSError as exc:
        raise self.retry(exc=exc, countdown=min(2 ** self.request.retries, 300))
    if body != "success":
        raise self.retry(countdown=min(2 ** self.request.retries, 300))
    GatewayPayment.objects.filter(pk=payment.pk).update(notified_at=timezone.now())
    return body
