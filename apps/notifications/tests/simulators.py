"""Local stand-ins speaking the providers' real protocols, for the tests:

* ``smtp_server``: aiosmtpd (a real SMTP server) collecting what it receives;
* ``AliyunSmsSimulator``: an HTTP server answering dysmsapi's SendSms only when the request carries a valid
  ACS3-HMAC-SHA256 signature (Alibaba Cloud's V3 signature, which alibabacloud-dysmsapi20170525 sends);
* ``RobotReceiver``: an HTTP server answering like 企业微信/钉钉 group robots, checking 钉钉's signed mode
  (timestamp + HMAC-SHA256 of "timestamp\\nsecret", base64, urlencoded) and able to fail first."""
import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit


class _Server:
    handler_class = None

    def __init__(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                status, payload = owner.handle(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                                               self.rfile.read(length))
                out = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=utf-8")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.requests: list[dict] = []
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class AliyunSmsSimulator(_Server):
    """dysmsapi.aliyuncs.com's SendSms, with the V3 signature checked from the raw request."""

    def __init__(self, *, access_key_id: str, secret: str):
        self.access_key_id, self.secret = access_key_id, secret
        super().__init__()

    def expected_signature(self, method: str, path: str, headers: dict, body: bytes, signed: list[str]) -> str:
        parts = urlsplit(path)
        query = sorted(parse_qsl(parts.query, keep_blank_values=True))
        canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in query)
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
        payload_hash = hashlib.sha256(body).hexdigest()
        canonical = "\n".join([method, parts.path or "/", canonical_query, canonical_headers, ";".join(signed),
                               payload_hash])
        to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
        return hmac.new(self.secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()

    def handle(self, method, path, headers, body):
        query = dict(parse_qsl(urlsplit(path).query, keep_blank_values=True))
        record = {"query": query, "headers": headers, "verified": False}
        self.requests.append(record)
        auth = headers.get("authorization", "")
        if not auth.startswith("ACS3-HMAC-SHA256 "):
            return 400, {"Code": "MissingAuthorization", "Message": "no ACS3 signature"}
        fields = dict(item.split("=", 1) for item in auth[len("ACS3-HMAC-SHA256 "):].split(","))
        signed = fields["SignedHeaders"].split(";")
        if fields["Credential"] != self.access_key_id:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        if not {"host", "x-acs-action", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256"} <= set(signed):
            return 400, {"Code": "IncompleteSignature", "Message": "required headers not signed"}
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            return 400, {"Code": "InvalidContentSha256", "Message": "body hash mismatch"}
        if not hmac.compare_digest(fields["Signature"], self.expected_signature(method, path, headers, body, signed)):
            return 400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        if headers.get("x-acs-action") != "SendSms" or headers.get("x-acs-version") != "2017-05-25":
            return 400, {"Code": "InvalidAction", "Message": "unknown action"}
        record["verified"] = True
        for name in ("PhoneNumbers", "SignName", "TemplateCode", "TemplateParam"):
            if not query.get(name):
                return 200, {"Code": "isv.INVALID_PARAMETERS", "Message": f"{name} missing", "RequestId": "r-bad"}
        json.loads(query["TemplateParam"])
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"9{len(self.requests):05d}^0", "RequestId": "r-ok"}


class RobotReceiver(_Server):
    """Answers like a group robot webhook. ``fail_first``: that many 5xx/throttled answers before success."""

    def __init__(self, *, dingtalk_secret: str = "", fail_first: int = 0, throttle_code: int = 0):
        self.dingtalk_secret, self.fail_first, self.throttle_code = dingtalk_secret, fail_first, throttle_code
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def handle(self, method, path, headers, body):
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        raw_query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        record = {"path": parts.path, "query": query, "json": json.loads(body or b"{}"), "signature_ok": None}
        self.requests.append(record)
        if parts.path.startswith("/robot/send") and self.dingtalk_secret:  # 钉钉, signed mode
            ts = query.get("timestamp", "")
            digest = hmac.new(self.dingtalk_secret.encode(), f"{ts}\n{self.dingtalk_secret}".encode(),
                              hashlib.sha256).digest()
            ok = (ts.isdigit() and abs(time.time() * 1000 - int(ts)) < 3600_000
                  and hmac.compare_digest(unquote_plus(raw_query.get("sign", "")), base64.b64encode(digest).decode()))
            record["signature_ok"] = ok
            if not ok:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        if self.fail_first > 0:
            self.fail_first -= 1
            if self.throttle_code:
                return 200, {"errcode": self.throttle_code, "errmsg": "send too fast"}
            return 502, {"errcode": -1, "errmsg": "bad gateway"}
        if record["json"].get("msgtype") != "markdown":
            return 200, {"errcode": 40008, "errmsg": "invalid message type"}
        return 200, {"errcode": 0, "errmsg": "ok"}


class SmtpSink:
    """A real SMTP server (aiosmtpd) in this process; ``messages`` holds (envelope recipients, parsed mail)."""

    def __init__(self):
        from email import message_from_bytes, policy

        from aiosmtpd.controller import Controller

        from conftest import free_port

        sink = self
        self.messages = []
        self.refuse = set()

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in sink.refuse:
                    return "550 5.1.1 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                sink.messages.append((list(envelope.rcpt_tos),
                                      message_from_bytes(envelope.original_content or envelope.content,
                                                         policy=policy.default)))
                return "250 Message accepted"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()
