"""A real HTTP receiver for webhook tests: http.server in a thread on loopback, verifying every request's signature
with the snippet published in docs/webhooks.md, answering the status codes it is told to (then 200)."""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"


def published_verifier():
    """``verify_shuyin_signature`` as docs/webhooks.md publishes it (the page shows the same file)."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 — our own documentation's snippet
    return namespace["verify_shuyin_signature"]


class Receiver:
    def __init__(self, secret: str = "", fail_first=(), on_success=None):
        self.secret, self.plan, self.on_success = secret, list(fail_first), on_success
        self.requests: list[dict] = []
        verify = published_verifier()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                header = self.headers.get("X-Shuyin-Signature", "")
                status = receiver.plan.pop(0) if receiver.plan else 200
                record = {"body": body, "headers": dict(self.headers), "valid": verify(receiver.secret, header, body),
                          "status": status}
                receiver.requests.append(record)
                if status == 200 and record["valid"] and receiver.on_success:
                    receiver.on_success(record)
                reply = f"收到 {status}".encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/shuyin/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
