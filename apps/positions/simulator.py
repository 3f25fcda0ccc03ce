"""A payment-provider simulator for tests and local development: a real HTTP server (threaded, on a free
port) that speaks Alipay's open-API protocol and WeChat Pay API v3, signed exactly as the providers sign,
with key pairs generated when it starts. The product talks to it through the same SDKs and code paths
as in production; only the SDKs' endpoint settings (``PAYMENT_ALIPAY_GATEWAY``,
``PAYMENT_WECHAT_BASE_URL``) point here.

What it serves:

* Alipay ``/alipay/gateway.do``: ``alipay.trade.page.pay`` (the cashier page the browser is sent to),
  ``alipay.trade.query`` and ``alipay.trade.close``; every request's RSA2 signature is checked with the
  merchant's public key, every API answer is signed with Alipay's private key.
* WeChat Pay v3 ``/v3/pay/transactions/native``, ``/v3/pay/transactions/out-trade-no/<no>`` (query) and
  ``…/close``, ``/v3/certificates`` (platform certificates, AEAD_AES_256_GCM-encrypted with the APIv3
  key); every request's ``Authorization`` is checked against the merchant key, every answer signed with
  the platform key (``Wechatpay-*`` headers).
* The payer's side: ``POST /alipay/cashier/pay`` (pay on the cashier page) and ``POST /wechat/scan``
  (scan the QR code and pay); both send the signed asynchronous notice to the merchant's notify URL.

Tests also call ``alipay_notify`` / ``wechat_notify`` to send a notice again (duplicates), with another
amount, or signed with a key that is not the provider's (forgery). This module is test tooling: the
product never imports it."""
import base64
import datetime as dt
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa2_sign(key, text: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64: the RSA2 of Alipay and the signature of WeChat Pay v3."""
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key, text: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def alipay_content(params: dict, *, exclude=("sign",)) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude)


def platform_certificate(key, serial: int) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Sandbox Platform")])
    now = dt.datetime.now(dt.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365)).sign(key, hashes.SHA256()))


@dataclass
class Trade:
    provider: str
    order_no: str
    amount: Decimal
    notify_url: str
    return_url: str = ""
    status: str = "WAIT"  # WAIT → PAID / CLOSED
    txn_id: str = ""
    code_url: str = ""
    notices: list = field(default_factory=list)  # (status code, body) of each notice sent


class ProviderSimulator:
    ALIPAY_APP_ID = "2021000000000001"
    WECHAT_MCHID = "1900000109"
    WECHAT_APPID = "wx0000000000000001"
    WECHAT_MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.alipay_app_key = new_key()  # 数银's application key pair (merchant side)
        self.alipay_key = new_key()  # Alipay's own key pair
        self.wechat_merchant_key = new_key()
        self.apiv3_key = secrets.token_hex(16)  # 32 characters, as WeChat Pay issues it
        self.platform = []  # [(key, certificate)], newest last
        self.rotate_platform_certificate()
        self.trades: dict[tuple[str, str], Trade] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every provider API call
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.sim = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ---- lifecycle and configuration ----

    def start(self) -> "ProviderSimulator":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def rotate_platform_certificate(self) -> str:
        """A new platform key and certificate (what WeChat Pay does every few years): notices are then
        signed with it, and the SDK must download it from ``/v3/certificates``."""
        key = new_key()
        cert = platform_certificate(key, x509.random_serial_number())
        self.platform.append((key, cert))
        return format(cert.serial_number, "X")

    def settings(self) -> dict:
        """Django settings that switch both providers on against this simulator (key files written now)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        files = {"alipay_app_private.pem": private_pem(self.alipay_app_key),
                 "alipay_public.pem": public_pem(self.alipay_key),
                 "wechat_apiclient_key.pem": private_pem(self.wechat_merchant_key),
                 "wechat_apiv3.key": self.apiv3_key}
        for name, text in files.items():
            (self.workdir / name).write_text(text)
        cert_dir = self.workdir / "wechat_platform_certs"
        cert_dir.mkdir(exist_ok=True)
        _key, cert = self.platform[0]  # the certificate the operator downloaded when going live
        (cert_dir / f"{format(cert.serial_number, 'X')}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return {
            "PAYMENT_ALIPAY_ENABLED": True, "PAYMENT_ALIPAY_APP_ID": self.ALIPAY_APP_ID,
            "PAYMENT_ALIPAY_APP_PRIVATE_KEY_FILE": str(self.workdir / "alipay_app_private.pem"),
            "PAYMENT_ALIPAY_PUBLIC_KEY_FILE": str(self.workdir / "alipay_public.pem"),
            "PAYMENT_ALIPAY_GATEWAY": f"{self.url}/alipay/gateway.do",
            "PAYMENT_WECHAT_ENABLED": True, "PAYMENT_WECHAT_MCHID": self.WECHAT_MCHID,
            "PAYMENT_WECHAT_APPID": self.WECHAT_APPID, "PAYMENT_WECHAT_CERT_SERIAL_NO": self.WECHAT_MERCHANT_SERIAL,
            "PAYMENT_WECHAT_PRIVATE_KEY_FILE": str(self.workdir / "wechat_apiclient_key.pem"),
            "PAYMENT_WECHAT_APIV3_KEY_FILE": str(self.workdir / "wechat_apiv3.key"),
            "PAYMENT_WECHAT_CERT_DIR": str(cert_dir), "PAYMENT_WECHAT_BASE_URL": self.url,
        }

    def trade(self, provider: str, order_no: str) -> Trade:
        return self.trades[(provider, order_no)]

    # ---- the payer ----

    def pay(self, provider: str, order_no: str, *, notify: bool = True) -> requests.Response:
        """The payer pays over HTTP: on Alipay's cashier page, or by scanning the WeChat QR code."""
        if provider == "alipay":
            return requests.post(f"{self.url}/alipay/cashier/pay", data={"out_trade_no": order_no,
                                                                       "notify": int(notify)},
                                 allow_redirects=False, timeout=30)
        return requests.post(f"{self.url}/wechat/scan", data={"code_url": self.trade("wechat", order_no).code_url,
                                                             "notify": int(notify)}, timeout=30)

    def _mark_paid(self, trade: Trade) -> None:
        with self.lock:
            if trade.status == "WAIT":
                trade.status = "PAID"
                prefix = "2026" + ("2200" if trade.provider == "alipay" else "4200")
                trade.txn_id = prefix + secrets.token_hex(8).upper()

    # ---- Alipay: notices ----

    def alipay_notify(self, order_no: str, *, amount=None, forge: bool = False, status: str = "TRADE_SUCCESS"):
        trade = self.trade("alipay", order_no)
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        params = {"notify_time": now, "notify_type": "trade_status_sync", "notify_id": uuid.uuid4().hex,
                  "charset": "utf-8", "version": "1.0", "sign_type": "RSA2", "app_id": self.ALIPAY_APP_ID,
                  "trade_no": trade.txn_id or "2026220000000000", "out_trade_no": order_no,
                  "trade_status": status, "total_amount": str(amount if amount is not None else trade.amount),
                  "receipt_amount": str(trade.amount), "buyer_id": "2088102177846880",
                  "seller_id": "2088102177296610", "subject": "数银在线账户充值", "gmt_create": now,
                  "gmt_payment": now}
        key = new_key() if forge else self.alipay_key
        params["sign"] = rsa2_sign(key, alipay_content(params, exclude=("sign", "sign_type")))
        resp = requests.post(trade.notify_url, data=params, timeout=30)
        trade.notices.append((resp.status_code, resp.text))
        return resp

    # ---- WeChat Pay: notices ----

    def _wechat_headers(self, body: str, *, key=None, serial: str | None = None, stamp: int | None = None) -> dict:
        platform_key, cert = self.platform[-1]
        stamp = str(stamp if stamp is not None else int(time.time()))
        nonce = secrets.token_hex(16)
        return {"Wechatpay-Serial": serial or format(cert.serial_number, "X"), "Wechatpay-Timestamp": stamp,
                "Wechatpay-Nonce": nonce, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Wechatpay-Signature": rsa2_sign(key or platform_key, f"{stamp}\n{nonce}\n{body}\n"),
                "Request-ID": uuid.uuid4().hex}

    def _encrypt(self, plaintext: str, associated_data: str) -> dict:
        nonce = secrets.token_hex(6)  # 12 characters
        ciphertext = AESGCM(self.apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(),
                                                              associated_data.encode())
        return {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": associated_data,
                "ciphertext": base64.b64encode(ciphertext).decode()}

    def _wechat_transaction(self, trade: Trade, *, total=None) -> dict:
        total = total if total is not None else int(trade.amount * 100)
        data = {"appid": self.WECHAT_APPID, "mchid": self.WECHAT_MCHID, "out_trade_no": trade.order_no,
                "trade_type": "NATIVE", "trade_state": {"PAID": "SUCCESS", "WAIT": "NOTPAY"}.get(trade.status, "CLOSED"),
                "trade_state_desc": "", "amount": {"total": total, "payer_total": total, "currency": "CNY",
                                                   "payer_currency": "CNY"}}
        if trade.txn_id:
            data.update(transaction_id=trade.txn_id, bank_type="OTHERS", payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                        success_time=dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"))
        return data

    def wechat_notify(self, order_no: str, *, amount_fen=None, forge: bool = False, stamp: int | None = None,
                      apiv3_key: str | None = None):
        trade = self.trade("wechat", order_no)
        resource = self._wechat_transaction(trade, total=amount_fen)
        if apiv3_key:  # encrypted with a key that is not the merchant's
            saved, self.apiv3_key = self.apiv3_key, apiv3_key
            encrypted = self._encrypt(json.dumps(resource, ensure_ascii=False), "transaction")
            self.apiv3_key = saved
        else:
            encrypted = self._encrypt(json.dumps(resource, ensure_ascii=False), "transaction")
        body = json.dumps({"id": str(uuid.uuid4()), "create_time": resource.get("success_time", ""),
                           "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
                           "summary": "支付成功", "resource": {**encrypted, "original_type": "transaction"}},
                          ensure_ascii=False)
        headers = {"Content-Type": "application/json",
                   **self._wechat_headers(body, key=new_key() if forge else None, stamp=stamp)}
        resp = requests.post(trade.notify_url, data=body.encode(), headers=headers, timeout=30)
        trade.notices.append((resp.status_code, resp.text))
        return resp


class _Handler(BaseHTTPRequestHandler):
    server_version = "ProviderSimulator/1.0"

    def log_message(self, *args):  # quiet
        pass

    @property
    def sim(self) -> ProviderSimulator:
        return self.server.sim

    def _body(self) -> str:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()

    def _send(self, status: int, body: str = "", content_type: str = "application/json; charset=utf-8",
              headers: dict | None = None):
        data = body.encode()
        self.send_response(status)
        if data or status != 204:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if data:
            self.wfile.write(data)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/alipay/gateway.do":
            return self._alipay(dict(parse_qsl(url.query, keep_blank_values=True)))
        if url.path.startswith("/v3/"):
            return self._wechat("GET", url, "")
        self._send(404, "{}")

    def do_POST(self):
        url = urlsplit(self.path)
        body = self._body()
        if url.path == "/alipay/gateway.do":
            return self._alipay(dict(parse_qsl(body or url.query, keep_blank_values=True)))
        if url.path == "/alipay/cashier/pay":
            return self._alipay_cashier_pay(dict(parse_qsl(body)))
        if url.path == "/wechat/scan":
            return self._wechat_scan(dict(parse_qsl(body)))
        if url.path.startswith("/v3/"):
            return self._wechat("POST", url, body)
        self._send(404, "{}")

    # ---- Alipay ----

    def _alipay_answer(self, method: str, content: dict):
        response_type = method.replace(".", "_") + "_response"
        inner = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
        sign = rsa2_sign(self.sim.alipay_key, inner)
        self._send(200, f'{{"{response_type}":{inner},"sign":"{sign}"}}', "text/html;charset=utf-8")

    def _alipay(self, params: dict):
        method = params.get("method", "")
        app_public = self.sim.alipay_app_key.public_key()
        if params.get("app_id") != self.sim.ALIPAY_APP_ID or not rsa2_verify(app_public, alipay_content(params),
                                                                              params.get("sign", "")):
            error = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature",
                     "sub_msg": "验签出错"}
            return self._send(200, json.dumps({"error_response": error}, ensure_ascii=False), "text/html;charset=utf-8")
        self.sim.requests.append(("GET", method))
        biz = json.loads(params.get("biz_content") or "{}")
        order_no = biz.get("out_trade_no", "")
        trade = self.sim.trades.get(("alipay", order_no))
        if method == "alipay.trade.page.pay":
            with self.sim.lock:
                if trade is None:
                    trade = Trade("alipay", order_no, Decimal(biz["total_amount"]), params.get("notify_url", ""),
                                  params.get("return_url", ""))
                    self.sim.trades[("alipay", order_no)] = trade
            page = (f'<!doctype html><meta charset="utf-8"><title>支付宝收银台（模拟）</title>'
                    f'<h1>支付宝收银台（模拟）</h1><p>{biz.get("subject", "")}</p><p>订单号 {order_no}</p>'
                    f'<p>应付 ¥{trade.amount}</p><form method="post" action="/alipay/cashier/pay">'
                    f'<input type="hidden" name="out_trade_no" value="{order_no}"><button>确认付款</button></form>')
            return self._send(200, page, "text/html; charset=utf-8")
        if trade is None:
            return self._alipay_answer(method, {"code": "40004", "msg": "Business Failed",
                                                "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"})
        if method == "alipay.trade.query":
            status = {"WAIT": "WAIT_BUYER_PAY", "PAID": "TRADE_SUCCESS", "CLOSED": "TRADE_CLOSED"}[trade.status]
            return self._alipay_answer(method, {"code": "10000", "msg": "Success", "out_trade_no": order_no,
                                                "trade_no": trade.txn_id, "trade_status": status,
                                                "total_amount": str(trade.amount)})
        if method == "alipay.trade.close":
            with self.sim.lock:
                if trade.status == "PAID":
                    return self._alipay_answer(method, {"code": "40004", "msg": "Business Failed",
                                                        "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"})
                trade.status = "CLOSED"
            return self._alipay_answer(method, {"code": "10000", "msg": "Success", "out_trade_no": order_no})
        return self._alipay_answer(method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.NOT_SUPPORTED"})

    def _alipay_cashier_pay(self, form: dict):
        trade = self.sim.trades.get(("alipay", form.get("out_trade_no", "")))
        if trade is None or trade.status == "CLOSED":
            return self._send(400, "交易已关闭或不存在", "text/plain; charset=utf-8")
        self.sim._mark_paid(trade)
        if form.get("notify", "1") == "1":
            self.sim.alipay_notify(trade.order_no)
        back = {"charset": "utf-8", "out_trade_no": trade.order_no, "method": "alipay.trade.page.pay.return",
                "total_amount": str(trade.amount), "trade_no": trade.txn_id, "auth_app_id": self.sim.ALIPAY_APP_ID,
                "version": "1.0", "app_id": self.sim.ALIPAY_APP_ID, "sign_type": "RSA2",
                "seller_id": "2088102177296610", "timestamp": time.strftime("%Y-%m-%d %H:%M:%S")}
        back["sign"] = rsa2_sign(self.sim.alipay_key, alipay_content(back, exclude=("sign", "sign_type")))
        sep = "&" if "?" in trade.return_url else "?"
        self._send(302, "", headers={"Location": f"{trade.return_url}{sep}{urlencode(back)}"})

    # ---- WeChat Pay v3 ----

    def _wechat_answer(self, status: int, data: dict | None):
        body = json.dumps(data, ensure_ascii=False) if data is not None else ""
        headers = self.sim._wechat_headers(body) if 200 <= status < 300 else {}
        self._send(status, body, headers=headers)

    def _wechat_authorised(self, method: str, url, body: str) -> bool:
        auth = self.headers.get("Authorization", "")
        scheme, _, rest = auth.partition(" ")
        fields = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        fields = {k.strip(): v.strip().strip('"') for k, v in fields.items()}
        if scheme != "WECHATPAY2-SHA256-RSA2048" or fields.get("mchid") != self.sim.WECHAT_MCHID \
                or fields.get("serial_no") != self.sim.WECHAT_MERCHANT_SERIAL:
            return False
        path = url.path + (f"?{url.query}" if url.query else "")
        text = f"{method}\n{path}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        return rsa2_verify(self.sim.wechat_merchant_key.public_key(), text, fields.get("signature", ""))

    def _wechat(self, method: str, url, body: str):
        if not self._wechat_authorised(method, url, body):
            return self._wechat_answer(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        self.sim.requests.append((method, url.path))
        if url.path == "/v3/certificates":
            data = []
            for _key, cert in self.sim.platform:
                pem = cert.public_bytes(serialization.Encoding.PEM).decode()
                data.append({"serial_no": format(cert.serial_number, "X"),
                             "effective_time": cert.not_valid_before_utc.isoformat(),
                             "expire_time": cert.not_valid_after_utc.isoformat(),
                             "encrypt_certificate": self.sim._encrypt(pem, "certificate")})
            return self._wechat_answer(200, {"data": data})
        if method == "POST" and url.path == "/v3/pay/transactions/native":
            req = json.loads(body)
            if req.get("mchid") != self.sim.WECHAT_MCHID or req.get("appid") != self.sim.WECHAT_APPID:
                return self._wechat_answer(400, {"code": "PARAM_ERROR", "message": "商户号或应用ID不符"})
            order_no = req["out_trade_no"]
            with self.sim.lock:
                trade = self.sim.trades.get(("wechat", order_no))
                if trade is None:
                    trade = Trade("wechat", order_no, Decimal(req["amount"]["total"]) / 100, req["notify_url"],
                                  code_url=f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(8)}")
                    self.sim.trades[("wechat", order_no)] = trade
            return self._wechat_answer(200, {"code_url": trade.code_url})
        prefix = "/v3/pay/transactions/out-trade-no/"
        if url.path.startswith(prefix):
            rest = url.path[len(prefix):]
            order_no, _, action = rest.partition("/")
            trade = self.sim.trades.get(("wechat", order_no))
            if trade is None:
                return self._wechat_answer(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
            if method == "GET" and not action:
                return self._wechat_answer(200, self.sim._wechat_transaction(trade))
            if method == "POST" and action == "close":
                with self.sim.lock:
                    if trade.status == "PAID":
                        return self._wechat_answer(400, {"code": "ORDERPAID", "message": "订单已支付"})
                    trade.status = "CLOSED"
                return self._wechat_answer(204, None)
        return self._wechat_answer(404, {"code": "NOT_FOUND", "message": "接口不存在"})

    def _wechat_scan(self, form: dict):
        trade = next((t for t in self.sim.trades.values() if t.code_url and t.code_url == form.get("code_url")), None)
        if trade is None or trade.status == "CLOSED":
            return self._send(400, '{"message": "二维码已失效"}')
        self.sim._mark_paid(trade)
        if form.get("notify", "1") == "1":
            self.sim.wechat_notify(trade.order_no)
        self._send(200, json.dumps({"paid": trade.order_no}))
