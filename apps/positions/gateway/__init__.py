"""Payment providers behind one interface (``PaymentProvider``).

* ``alipay``: Alipay 电脑网站支付 (alipay.trade.page.pay, RSA2) through python-alipay-sdk;
* ``wechat``: WeChat Pay API v3 Native (QR code) through wechatpayv3;
* ``local``: the shipped local gateway (no money moves): development, demos and tests only.

Each is switched on by settings (``PAYMENT_ALIPAY_ENABLED``, ``PAYMENT_WECHAT_ENABLED``,
``PAYMENT_LOCAL_GATEWAY``); the recharge page offers exactly the enabled ones. Signatures are made and
verified by the SDKs, never here."""
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse


class InvalidNotice(Exception):
    """Signature, fields or amount do not check out: the notice is refused."""


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered an error: the outcome is still unknown."""


@dataclass(frozen=True)
class Notice:
    order_no: str
    txn_id: str
    amount: Decimal
    paid: bool = True


@dataclass(frozen=True)
class TradeState:
    """What the provider says about one order (trade query)."""

    paid: bool
    txn_id: str = ""
    amount: Decimal | None = None
    exists: bool = True


@dataclass(frozen=True)
class Checkout:
    """Where the payer goes next: a redirect to the provider's cashier, or a QR code shown on our page."""

    redirect_url: str = ""
    qr_text: str = ""


class PaymentProvider:
    name = ""
    label = ""

    def checkout(self, *, order_no: str, amount: Decimal, subject: str, notify_url: str, return_url: str,
                 expires_at) -> Checkout:
        raise NotImplementedError

    def verify_notice(self, request) -> Notice:
        """The asynchronous notice, verified (raises ``InvalidNotice``)."""
        raise NotImplementedError

    def ack(self, ok: bool) -> HttpResponse:
        """The answer the provider expects: success stops its retries, failure makes it retry."""
        return HttpResponse("success" if ok else "fail", status=200 if ok else 400, content_type="text/plain")

    def query(self, *, order_no: str) -> TradeState:
        raise NotImplementedError

    def close(self, *, order_no: str) -> None:
        """Close an unpaid order at the provider so that it can no longer be paid."""


def read_key_file(path: str, setting: str) -> str:
    from django.core.exceptions import ImproperlyConfigured

    if not path:
        raise ImproperlyConfigured(f"{setting} must name a key file")
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError as exc:
        raise ImproperlyConfigured(f"{setting}: cannot read {path}: {exc}") from exc


from .alipay import AlipayProvider  # noqa: E402
from .local import LocalGateway  # noqa: E402
from .wechat import WechatProvider  # noqa: E402

PROVIDERS: dict[str, type[PaymentProvider]] = {"alipay": AlipayProvider, "wechat": WechatProvider,
                                               "local": LocalGateway}


def provider_enabled(name: str) -> bool:
    return {"alipay": settings.PAYMENT_ALIPAY_ENABLED, "wechat": settings.PAYMENT_WECHAT_ENABLED,
            "local": settings.PAYMENT_LOCAL_GATEWAY}.get(name, False)


def enabled_providers() -> list[type[PaymentProvider]]:
    """The providers the recharge page offers, in display order."""
    return [cls for name, cls in PROVIDERS.items() if provider_enabled(name)]


def provider(name: str) -> PaymentProvider:
    """The provider's client. Keys that cannot be read or parsed make it unavailable (the caller shows a
    clear message or tries again later) rather than a server error."""
    try:
        return PROVIDERS[name]()
    except ProviderUnavailable:
        raise
    except Exception as exc:  # ImproperlyConfigured, unparsable key …
        raise ProviderUnavailable(f"{name}: {exc}") from exc


def gateway(name: str = "local") -> PaymentProvider:
    return provider(name)


__all__ = ["Checkout", "InvalidNotice", "LocalGateway", "Notice", "PaymentProvider", "ProviderUnavailable",
           "TradeState", "enabled_providers", "gateway", "provider", "provider_enabled"]
