"""Payment providers behind one interface. ``LocalGateway`` behaves like a real one (its own pay page,
redirect back to the merchant, signed asynchronous notify, retries, duplicate and late notices) so the
whole online-recharge path runs here; Alipay / WeChat Pay / UnionPay adapters implement the same
two methods with their own signature schemes."""
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings


class InvalidNotice(Exception):
    """Signature, fields or amount do not check out: the notice is refused."""


@dataclass(frozen=True)
class Notice:
    order_no: str
    txn_id: str
    amount: Decimal


class PaymentGateway:
    name = ""

    def pay_url(self, *, order_no: str, amount: Decimal, notify_url: str, return_url: str) -> str:
        raise NotImplementedError

    def parse_notice(self, data: dict) -> Notice:
        raise NotImplementedError


class LocalGateway(PaymentGateway):
    name = "local"

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


GATEWAYS = {"local": LocalGateway}


def gateway(name: str = "local") -> PaymentGateway:
    return GATEWAYS[name]()
