"""The providers: email over SMTP (Django's mail framework), SMS through Alibaba Cloud's SDK, and the 企业微信 /
钉钉 group robots over their webhook JSON. Each sender returns the provider's answer as text, or raises
``Transient`` (worth retrying: the network, a 4xx SMTP reply, a provider's throttling or 5xx) or ``Permanent``
(a refused address, a bad template, a wrong secret: retrying changes nothing)."""
import base64
import hashlib
import hmac
import json
import smtplib
import time
from urllib.parse import quote_plus, urlsplit

import requests
from django.conf import settings

from .events import DINGTALK, WECOM


class Transient(Exception):
    pass


class Permanent(Exception):
    pass


# ---- email ----
def email_configured() -> bool:
    return settings.NOTIFY_EMAIL_ENABLED


def send_email(*, to: str, subject: str, body: str) -> str:
    from django.core.mail import EmailMessage, get_connection

    try:
        with get_connection(timeout=settings.EMAIL_TIMEOUT) as conn:
            EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], connection=conn).send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"收件地址被拒绝：{_smtp_text(exc)}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise Transient(f"SMTP {exc.smtp_code} {_decode(exc.smtp_error)}") from exc
        raise Permanent(f"SMTP {exc.smtp_code} {_decode(exc.smtp_error)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise Transient(f"SMTP 服务器不可用：{exc}") from exc
    return f"SMTP {settings.EMAIL_HOST}:{settings.EMAIL_PORT} 已接收"


def _decode(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _smtp_text(exc) -> str:
    return "; ".join(f"{code} {_decode(msg)}" for code, msg in getattr(exc, "recipients", {}).values())


# ---- SMS (Alibaba Cloud 短信服务, dysmsapi 2017-05-25 SendSms) ----
def sms_template(event: str) -> str:
    """The template code of this kind of event, or "" when SMS is not switched on for it."""
    if not (settings.SMS_ALIYUN_ENABLED and settings.SMS_ALIYUN_ACCESS_KEY_ID and settings.SMS_ALIYUN_SIGN_NAME):
        return ""
    return settings.SMS_ALIYUN_TEMPLATES.get(event, "")


def sms_params(*, subject: str) -> dict:
    """The template's variables: each template of ours has one, ``${content}`` (Alibaba limits a variable's
    length; the title is cut to fit and the full text stays in the 站内信)."""
    return {"content": subject[:35]}


def send_sms(*, mobile: str, template_code: str, params: dict) -> str:
    from alibabacloud_dysmsapi20170525 import models as sms_models
    from alibabacloud_dysmsapi20170525.client import Client
    from alibabacloud_tea_openapi import utils_models as open_api
    from darabonba.runtime import RuntimeOptions

    client = Client(open_api.Config(access_key_id=settings.SMS_ALIYUN_ACCESS_KEY_ID,
                                    access_key_secret=settings.SMS_ALIYUN_ACCESS_KEY_SECRET,
                                    endpoint=settings.SMS_ALIYUN_ENDPOINT, protocol=settings.SMS_ALIYUN_PROTOCOL))
    request = sms_models.SendSmsRequest(phone_numbers=mobile, sign_name=settings.SMS_ALIYUN_SIGN_NAME,
                                        template_code=template_code,
                                        template_param=json.dumps(params, ensure_ascii=False, separators=(",", ":")))
    try:
        resp = client.send_sms_with_options(request, RuntimeOptions(autoretry=False, connect_timeout=5000,
                                                                    read_timeout=10000))
    except Exception as exc:  # the SDK raises its own exception types for HTTP errors and network failures
        status = getattr(exc, "status_code", None) or (getattr(exc, "data", None) or {}).get("statusCode")
        code = getattr(exc, "code", "") or type(exc).__name__
        text = f"{code} {getattr(exc, 'message', '') or exc}"[:500]
        if status is not None and 400 <= int(status) < 500 and "Throttling" not in str(code):
            raise Permanent(text) from exc
        raise Transient(text) from exc
    body = resp.body
    if body.code == "OK":
        return f"OK BizId={body.biz_id} RequestId={body.request_id}"
    text = f"{body.code} {body.message} RequestId={body.request_id}"
    if body.code in ("isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY", "Throttling.User"):
        raise Transient(text)
    raise Permanent(text)


# ---- group robots ----
def robot_host_allowed(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("https", "http") and (parts.hostname or "") in settings.NOTIFY_ROBOT_HOSTS and (
        parts.scheme == "https" or parts.hostname in ("127.0.0.1", "localhost"))


def dingtalk_sign(secret: str, timestamp_ms: str) -> str:
    """钉钉 加签: HMAC-SHA256 over "timestamp\\nsecret" keyed by the secret, base64, then URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def robot_payload(kind: str, *, title: str, text: str) -> dict:
    if kind == DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": title[:60], "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


# errcodes the robots answer when a group sends too fast: worth retrying later
_ROBOT_THROTTLED = {WECOM: {45009, -1}, DINGTALK: {130101, -1}}


def send_robot(*, kind: str, url: str, secret: str, title: str, text: str) -> str:
    if kind == DINGTALK and secret:
        ts = str(int(time.time() * 1000))
        url = f"{url}{'&' if '?' in url else '?'}timestamp={ts}&sign={dingtalk_sign(secret, ts)}"
    try:
        resp = requests.post(url, json=robot_payload(kind, title=title, text=text), timeout=10)
    except requests.RequestException as exc:
        raise Transient(f"无法连接群机器人：{type(exc).__name__}") from exc
    answer = resp.text[:500]
    if resp.status_code >= 500 or resp.status_code == 429:
        raise Transient(f"HTTP {resp.status_code} {answer}")
    try:
        errcode = int(resp.json().get("errcode", -2))
    except (ValueError, AttributeError):
        raise Permanent(f"HTTP {resp.status_code} {answer}")
    if errcode == 0:
        return f"HTTP {resp.status_code} {answer}"
    if errcode in _ROBOT_THROTTLED.get(kind, ()):
        raise Transient(f"HTTP {resp.status_code} {answer}")
    raise Permanent(f"HTTP {resp.status_code} {answer}")
