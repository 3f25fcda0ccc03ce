"""WeChat Pay API v3 Native through wechatpayv3: the order's ``code_url`` is shown as a QR code on our
page; the notify is verified against the platform certificate and decrypted (AEAD_AES_256_GCM with the
APIv3 key) by the SDK; the order query settles an unknown outcome; an expired order is closed."""
import json
import time
from decimal import Decimal

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import Checkout, InvalidNotice, Notice, PaymentProvider, ProviderUnavailable, TradeState, read_key_file

CNY_CENT = Decimal("0.01")
NOTICE_MAX_AGE = 300  # seconds: an older signed notice is a replay


def to_fen(amount: Decimal) -> int:
    return int((amount / CNY_CENT).to_integral_exact())


def from_fen(fen) -> Decimal:
    return (Decimal(int(fen)) * CNY_CENT).quantize(CNY_CENT)


class WechatProvider(PaymentProvider):
    name = "wechat"
    label = _("微信支付")

    def __init__(self):
        from wechatpayv3 import WeChatPay, WeChatPayType

        self.mchid, self.appid = settings.PAYMENT_WECHAT_MCHID, settings.PAYMENT_WECHAT_APPID
        try:
            self.client = WeChatPay(
                wechatpay_type=WeChatPayType.NATIVE, mchid=self.mchid, appid=self.appid,
                private_key=read_key_file(settings.PAYMENT_WECHAT_PRIVATE_KEY_FILE, "PAYMENT_WECHAT_PRIVATE_KEY_FILE"),
                cert_serial_no=settings.PAYMENT_WECHAT_CERT_SERIAL_NO,
                apiv3_key=read_key_file(settings.PAYMENT_WECHAT_APIV3_KEY_FILE, "PAYMENT_WECHAT_APIV3_KEY_FILE").strip(),
                cert_dir=settings.PAYMENT_WECHAT_CERT_DIR, timeout=(5, 15))
        except Exception as exc:  # no valid platform certificate could be loaded or downloaded
            raise ProviderUnavailable(f"wechat: {exc}") from exc
        # The SDK's API host is fixed in ``Core._gate_way``; the setting points it elsewhere only where asked
        # (the provider simulator in tests). Platform certificates in PAYMENT_WECHAT_CERT_DIR are loaded at
        # start; a new serial number makes the SDK download and decrypt the current certificates.
        self.client._core._gate_way = settings.PAYMENT_WECHAT_BASE_URL.rstrip("/")

    def _call(self, method, **kwargs) -> tuple[int, dict]:
        try:
            code, message = method(**kwargs)
        except Exception as exc:  # network errors, or the SDK refusing an unsigned/forged answer
            raise ProviderUnavailable(f"wechat: {exc!r}") from exc
        try:
            return code, (json.loads(message) if message else {})
        except (TypeError, ValueError) as exc:
            raise ProviderUnavailable(f"wechat: unreadable answer {message!r}") from exc

    def checkout(self, *, order_no, amount, subject, notify_url, return_url, expires_at) -> Checkout:
        from wechatpayv3 import WeChatPayType

        code, data = self._call(
            self.client.pay, description=subject, out_trade_no=order_no,
            amount={"total": to_fen(amount), "currency": "CNY"}, notify_url=notify_url,
            time_expire=timezone.localtime(expires_at).isoformat(timespec="seconds"),
            pay_type=WeChatPayType.NATIVE)
        if code != 200 or not data.get("code_url"):
            raise ProviderUnavailable(f"wechat native: {code} {data}")
        return Checkout(qr_text=data["code_url"])

    def verify_notice(self, request) -> Notice:
        try:
            stamp = int(request.headers.get("Wechatpay-Timestamp", ""))
        except ValueError as exc:
            raise InvalidNotice("missing timestamp") from exc
        if abs(time.time() - stamp) > NOTICE_MAX_AGE:
            raise InvalidNotice("stale notice")
        try:
            result = self.client.callback(request.headers, request.body)
        except Exception as exc:  # unknown algorithm, malformed serial …
            raise InvalidNotice(f"unverifiable: {exc}") from exc
        if not result:
            raise InvalidNotice("bad signature or undecryptable resource")
        res = result.get("resource") or {}
        if res.get("mchid") != self.mchid or res.get("appid") != self.appid:
            raise InvalidNotice("another merchant's notice")
        try:
            amount = from_fen(res["amount"]["total"])
            order_no, txn = res["out_trade_no"], res["transaction_id"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidNotice("missing fields") from exc
        paid = result.get("event_type") == "TRANSACTION.SUCCESS" and res.get("trade_state") == "SUCCESS"
        return Notice(order_no=order_no, txn_id=f"wechat:{txn}", amount=amount, paid=paid)

    def ack(self, ok: bool) -> HttpResponse:
        if ok:
            return HttpResponse(status=204)
        return JsonResponse({"code": "FAIL", "message": "失败"}, status=400)

    def query(self, *, order_no) -> TradeState:
        code, data = self._call(self.client.query, out_trade_no=order_no)
        if code == 200:
            paid = data.get("trade_state") == "SUCCESS"
            total = (data.get("amount") or {}).get("total", 0)
            return TradeState(paid=paid, txn_id=f"wechat:{data.get('transaction_id', '')}", amount=from_fen(total))
        if code == 404:
            return TradeState(paid=False, exists=False)
        raise ProviderUnavailable(f"wechat query: {code} {data}")

    def close(self, *, order_no) -> None:
        code, data = self._call(self.client.close, out_trade_no=order_no)
        if code not in (200, 204):
            raise ProviderUnavailable(f"wechat close: {code} {data}")
