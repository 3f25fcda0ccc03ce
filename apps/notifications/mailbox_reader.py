"""The 演示邮箱: the mails the local SMTP server of `make run` filed (a Maildir), newest first."""
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from django.conf import settings
from django.http import Http404


@dataclass
class Mail:
    key: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    body: str = ""


def _box() -> mailbox.Maildir:
    settings.DEMO_MAILBOX_DIR.parent.mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(str(settings.DEMO_MAILBOX_DIR), create=True)


def _read(key: str, raw: bytes, *, body: bool = False) -> Mail:
    msg = message_from_bytes(raw, policy=policy.default)
    try:
        date = parsedate_to_datetime(msg["Date"]) if msg["Date"] else None
    except (TypeError, ValueError):
        date = None
    if date is not None and date.tzinfo is None:  # "-0000" (Django's default Date header): UTC
        date = date.replace(tzinfo=UTC)
    text = ""
    if body:
        part = msg.get_body(preferencelist=("plain", "html"))
        text = part.get_content() if part is not None else ""
    return Mail(key=key, subject=str(msg["Subject"] or "").strip() or "（无标题）", sender=str(msg["From"] or ""),
                to=str(msg["X-Envelope-To"] or msg["To"] or ""), date=date, body=text)


def mail_list(*, to: str = "") -> list[Mail]:
    box = _box()
    mails = [_read(key, box.get_bytes(key)) for key in box.iterkeys()]
    if to:
        mails = [m for m in mails if to.lower() in m.to.lower()]
    return sorted(mails, key=lambda m: (m.date is None, m.date and -m.date.timestamp(), m.key))


def mail_get(key: str) -> Mail:
    box = _box()
    try:
        raw = box.get_bytes(key)
    except KeyError:
        raise Http404("no such mail")
    return _read(key, raw, body=True)
