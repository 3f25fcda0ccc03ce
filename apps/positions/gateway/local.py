"""The local payment gateway: behaves like a real one (its own pay page, redirect back to the merchant,
signed asynchronous notify, retries, duplicate and late notices) so the whole online-recharge path runs
without a provider. No money moves: it exists only where settings enable it (``PAYMENT_LOCAL_GATEWAY``)."""
import hashlib
import hmac
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import Checkout, InvalidNotice, Notice, PaymentProvider, TradeState


class LocalGateway(PaymentProvider):
    name = "local"
    label = _("本地支付网关（演示）")

    def __init__(self, secret: str | None = None):
        self.secret = (secret or getattr(settings, "PAYMENT_LOCAL_SECRET", "") or settings.SECRET_KEY).encode()

    def sign(self, fields: dict) -> str:
        text = "&".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "sign")
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def signed(self, fields: dict) -> dict:
        return {**fields, "sign": self.sign(fields)}

    def pay_url(self, *, order_no, amount, notify_url, return_url) -> str:
        query = self.signed({"order_no": order_no, "amount": str(amount), "notify_url": notify_url,
                             "return_url": return_url})
        return f"/pay/local/?{urlencode(query)}"

    def checkout(self, *, order_no, amount, subject, notify_url, return_url, expires_at) -> Checkout:
        return Checkout(redirect_url=self.pay_url(order_no=order_no, amount=amount, notify_url=notify_url,
                                                  return_url=return_url))

    def parse_notice(self, data: dict) -> Notice:
        fields = {k: str(v) for k, v in data.items()}
        for required in ("order_no", "txn_id", "amount", "status", "sign"):
            if not fields.get(required):
                raise InvalidNotice(f"missing {required}")
        if not hmac.compare_digest(self.sign(fields), fields["sign"]):
            raise InvalidNotice("bad signature")
        if fields["status"] != "SUCCESS":
            raise InvalidNotice("not paid")
        try:
            amount = Decimal(fields["amount"])
        except ArithmeticError as exc:
            raise InvalidNotice("bad amount") from exc
        return Notice(order_no=fields["order_no"], txn_id=fields["txn_id"], amount=amount)

    def verify_notice(self, request) -> Notice:
        return self.parse_notice(request.POST.dict())

    def query(self, *, order_no) -> TradeState:
        """The gateway's own record of the payment (``GatewayPayment``), as a real gateway's trade query."""
        from ..models import GatewayPayment

        payment = GatewayPayment.objects.filter(order_no=order_no).first()
        if payment is None:
            return TradeState(paid=False, exists=False)
        return TradeState(paid=payment.paid_at is not None, txn_id=payment.txn_id, amount=payment.amount)
