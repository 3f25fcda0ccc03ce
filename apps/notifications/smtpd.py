"""The local SMTP server of `make run` (aiosmtpd): every mail it receives is filed in a Maildir that the
演示邮箱 page reads. No Django here: bin/stack.py starts it as its own process.

    python -m apps.notifications.smtpd --port 8025 --maildir var/demo-mailbox
"""
import argparse
import mailbox
import signal
import threading
from email import message_from_bytes, policy


class MaildirHandler:
    """aiosmtpd handler: accept every recipient and file the message (with the envelope recipients)."""

    def __init__(self, path: str):
        import os

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.box = mailbox.Maildir(path, create=True)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        with self.lock:
            self.box.add(mailbox.MaildirMessage(msg.as_bytes()))
        return "250 Message accepted for delivery"


def serve(*, host: str, port: int, maildir: str):
    from aiosmtpd.controller import Controller

    controller = Controller(MaildirHandler(maildir), hostname=host, port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    controller = serve(host=args.host, port=args.port, maildir=args.maildir)
    print(f"[smtpd] listening on {args.host}:{args.port}, mails filed in {args.maildir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
