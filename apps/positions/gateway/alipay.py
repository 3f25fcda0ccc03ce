"""Alipay 电脑网站支付 through python-alipay-sdk (RSA2 signatures made and verified by the SDK).

* checkout: ``alipay.trade.page.pay``, the browser is redirected to Alipay's cashier;
* asynchronous notify (form POST): verified with Alipay's public key, answered ``success``;
* ``alipay.trade.query`` settles an unknown outcome; ``alipay.trade.close`` closes an expired order."""
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import Checkout, InvalidNotice, Notice, PaymentProvider, ProviderUnavailable, TradeState, read_key_file

PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")


def _amount(text) -> Decimal:
    try:
        value = Decimal(str(text))
    except (InvalidOperation, TypeError) as exc:
        raise InvalidNotice("bad amount") from exc
    if not value.is_finite():
        raise InvalidNotice("bad amount")
    return value


class AlipayProvider(PaymentProvider):
    name = "alipay"
    label = _("支付宝")

    def __init__(self):
        from alipay import AliPay
        from alipay.utils import AliPayConfig

        self.app_id = settings.PAYMENT_ALIPAY_APP_ID
        self.client = AliPay(
            appid=self.app_id,
            app_private_key_string=read_key_file(settings.PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE,
                                                 "PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE"),
            alipay_public_key_string=read_key_file(settings.PAYMENT_ALIPAY_PUBLIC_KEY_FILE,
                                                   "PAYMENT_ALIPAY_PUBLIC_KEY_FILE"),
            sign_type="RSA2", config=AliPayConfig(timeout=10))
        # The SDK keeps its endpoint in ``_gateway`` (production, or the sandbox with debug=True); the
        # setting points it elsewhere only where asked (the provider simulator in tests).
        self.gateway_url = settings.PAYMENT_ALIPAY_GATEWAY
        self.client._gateway = self.gateway_url

    def checkout(self, *, order_no, amount, subject, notify_url, return_url, expires_at) -> Checkout:
        query = self.client.api_alipay_trade_page_pay(
            subject=subject, out_trade_no=order_no, total_amount=str(amount), return_url=return_url,
            notify_url=notify_url, time_expire=f"{timezone.localtime(expires_at):%Y-%m-%d %H:%M:%S}")
        return Checkout(redirect_url=f"{self.gateway_url}?{query}")

    def verify_notice(self, request) -> Notice:
        data = request.POST.dict()
        signature = data.pop("sign", "")
        if not signature:
            raise InvalidNotice("missing sign")
        try:
            ok = self.client.verify(data, signature)
        except Exception as exc:  # malformed base64, unknown sign type …: not a notice from Alipay
            raise InvalidNotice(f"unverifiable: {exc}") from exc
        if not ok:
            raise InvalidNotice("bad signature")
        if data.get("app_id") != self.app_id:
            raise InvalidNotice("another app's notice")
        for required in ("out_trade_no", "trade_no", "total_amount", "trade_status"):
            if not data.get(required):
                raise InvalidNotice(f"missing {required}")
        return Notice(order_no=data["out_trade_no"], txn_id=f"alipay:{data['trade_no']}",
                      amount=_amount(data["total_amount"]), paid=data["trade_status"] in PAID)

    def _call(self, method, **kwargs) -> dict:
        from alipay.exceptions import AliPayException, AliPayValidationError

        try:
            return method(**kwargs)
        except (AliPayException, AliPayValidationError, OSError, ValueError) as exc:
            raise ProviderUnavailable(f"alipay: {exc!r}") from exc

    def query(self, *, order_no) -> TradeState:
        resp = self._call(self.client.api_alipay_trade_query, out_trade_no=order_no)
        if resp.get("code") == "10000":
            return TradeState(paid=resp.get("trade_status") in PAID, txn_id=f"alipay:{resp.get('trade_no', '')}",
                              amount=_amount(resp.get("total_amount", "0")))
        if resp.get("sub_code") == "ACQ.TRADE_NOT_EXIST":  # the payer never opened the cashier
            return TradeState(paid=False, exists=False)
        raise ProviderUnavailable(f"alipay query: {resp}")

    def close(self, *, order_no) -> None:
        resp = self._call(self.client.api_alipay_trade_close, out_trade_no=order_no)
        if resp.get("code") != "10000" and resp.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise ProviderUnavailable(f"alipay close: {resp}")
