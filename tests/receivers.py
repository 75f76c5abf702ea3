"""Real parts for notification tests: an SMTP server (aiosmtpd) and an HTTP webhook receiver, both on
127.0.0.1 in the test process, and the ``aiguillage worker`` as a real process."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from app.settings import Settings


@dataclass
class Mailbox:
    messages: list[tuple[list[str], Message, bytes]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(raw, policy=policy.default), raw))
        return "250 Message accepted"


@contextmanager
def smtp_server(
    user: str | None = None, password: str | None = None, tls: ssl.SSLContext | None = None
) -> Iterator[tuple[Mailbox, int]]:
    """With ``tls``, the server offers STARTTLS and refuses mail and login before it."""
    box = Mailbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            user,
            password,
        )
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok)

    options: dict[str, Any] = {}
    if user is not None:
        options = {"authenticator": authenticator, "auth_require_tls": tls is not None}
    if tls is not None:
        options.update(tls_context=tls, require_starttls=True)
    with socket.socket() as probe:  # aiosmtpd needs a real port number to check that it started
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@dataclass
class Call:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each call with the status its ``answer`` gives (after any wait it imposes)."""

    answer: Callable[[int], int]
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def wait_for(self, n: int, timeout: float = 30) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.calls) >= n:
                    return list(self.calls)
            time.sleep(0.05)
        raise AssertionError(f"expected {n} webhook calls, got {len(self.calls)}")


@contextmanager
def http_receiver(answer: Callable[[int], int]) -> Iterator[Receiver]:
    receiver = Receiver(answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with receiver.lock:
                receiver.calls.append(Call({k.lower(): v for k, v in self.headers.items()}, body))
                n = len(receiver.calls)
            status = receiver.answer(n)
            try:
                self.send_response(status)
                self.end_headers()
            except OSError:
                pass  # the caller went away (killed worker)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/aiguillage"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIGUILLAGE_")}
    env["AIGUILLAGE_DATABASE_URL"] = settings.database_url
    env.update({f"AIGUILLAGE_{k.upper()}": v for k, v in extra.items()})
    return env


def run_worker(
    settings: Settings, *args: str, env: dict[str, str] | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """``aiguillage worker --once …`` as a process of its own (``env``: more environment, verbatim)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "worker", "--once", *args],
        capture_output=True,
        text=True,
        env={**worker_env(settings, **extra), **(env or {})},
        check=False,
        timeout=120,
    )


@contextmanager
def worker_process(settings: Settings, **extra: str) -> Iterator[subprocess.Popen[str]]:
    """The long-running ``aiguillage worker``; stopped with SIGTERM (unless the test killed it)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=worker_env(settings, **extra),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
