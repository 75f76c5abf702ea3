"""The outbox and its deliveries, with real parts: aiosmtpd, an HTTP receiver, the worker as a process."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook as Verifier

from app.database import Database
from app.limits import MemoryLimiter
from app.settings import Settings
from batch.jobs import deliveries
from models import DeclineReason, Dossier, DossierEvent, DossierStatus, Operator, Role, errors, utcnow
from models.notifications import Channel, DeliveryStatus, Notification
from resolvers import dossiers as uc
from resolvers import webhooks
from resolvers.auth import Actor
from resolvers.ids import to_global_id
from tests import factories
from tests.receivers import http_receiver, run_worker, smtp_server, worker_env, worker_process

PATTERN, EXAMPLE = r"[0-9]{3}[a-z]{3}", "000ysz"
NAME, CARNET, NOTE = "Lefèvre", "123abc", "Habite chez sa sœur, appeler le soir"
DAY = timedelta(days=1)


def _operator(
    session: Session, structure_id: int | None, name: str, email: str | None, on: bool = True
) -> Actor:
    row = Operator(
        name=name,
        role=(Role.OPERATOR if structure_id else Role.COORDINATOR).value,
        structure_id=structure_id,
        token_hash=f"{name:0>64}"[-64:],
        email=email,
        notifications=on,
    )
    session.add(row)
    session.flush()
    return Actor(row.id, name, Role(row.role), structure_id)


def _world(db: Database) -> dict[str, Any]:
    with db.write() as session:
        a = factories.structure(session, "Espace A", operator=True)
        b = factories.structure(session, "Médiathèque B", operator=True, lat=45.7, lon=0.2)
        return {
            "a": a.id,
            "b": b.id,
            "alex": _operator(session, a.id, "Alex", "alex@a.example"),
            "anne": _operator(session, a.id, "Anne", "anne@a.example", on=False),
            "ali": _operator(session, a.id, "Ali", None),
            "bea": _operator(session, b.id, "Bea", "bea@b.example"),
            "coline": _operator(session, None, "Coline", "coline@coord.example"),
            "carl": _operator(session, None, "Carl", "carl@coord.example"),
        }


def _orient(session: Session, w: dict[str, Any], to: str = "a", carnet: str = CARNET) -> Dossier:
    data = uc.OrientInput(carnet_number=carnet, last_name=NAME, to_structure_id=w[to], note=NOTE)
    return uc.orient(session, w["coline"], data, PATTERN, EXAMPLE, _limiter())


def _outbox(db: Database) -> list[Notification]:
    with db.read() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_transition_writes_its_notifications_and_a_rolled_back_one_nothing(db: Database) -> None:
    w = _world(db)
    with db.write() as session:
        everything, _ = webhooks.add_webhook(session, "https://partner.example/hook", None, None)
        webhooks.add_webhook(session, "https://b.example/hook", w["b"], None)
        webhooks.add_webhook(session, "https://stats.example/hook", None, ["dossier.declined"])

    with pytest.raises(RuntimeError), db.write() as session:
        _orient(session, w)
        raise RuntimeError("the request failed after the transition")
    assert _outbox(db) == []
    with pytest.raises(errors.InvalidTransition), db.write() as session:
        pending = factories.dossier(session, w["a"], status=DossierStatus.TAKEN_IN_CHARGE)
        uc.decline(session, w["alex"], pending.id, DeclineReason.NO_CAPACITY, None, None)
    assert _outbox(db) == []

    with db.write() as session:
        dossier = _orient(session, w)
    rows = _outbox(db)
    # To the structure's operators who have an e-mail and want it (never the coordinator who acted), and to
    # the webhooks that listen to every structure and every type.
    assert [(r.channel, r.address or r.webhook_id) for r in rows] == [
        ("email", "alex@a.example"),
        ("webhook", everything.id),
    ]
    assert {r.event_type for r in rows} == {"dossier.oriented"} and len({r.event_uid for r in rows}) == 1
    body = rows[1].payload
    assert body["type"] == "dossier.oriented" and body["id"] == rows[1].event_uid
    assert body["data"] == {
        "dossier": to_global_id("Dossier", dossier.id),
        "fromStructure": None,
        "toStructure": to_global_id("Structure", w["a"]),
    }

    with db.write() as session:
        uc.decline(session, w["alex"], dossier.id, DeclineReason.OTHER, NOTE, None)
    declined = [r for r in _outbox(db) if r.event_type == "dossier.declined"]
    assert sorted(str(r.address or r.webhook_id) for r in declined) == sorted(
        ["coline@coord.example", "carl@coord.example", str(everything.id), str(everything.id + 2)]
    )
    dumped = json.dumps([r.payload for r in _outbox(db)], ensure_ascii=False)
    for secret in (NAME, CARNET, NOTE, "Lefevre"):
        assert secret.lower() not in dumped.lower()


def test_the_worker_sends_french_email_without_personal_data(settings: Settings, db: Database) -> None:
    w = _world(db)
    with db.write() as session:
        dossier = _orient(session, w)
        uc.claim(session, w["bea"], NAME, CARNET, _limiter(), PATTERN, EXAMPLE)
    with smtp_server("relay", "s3cret") as (box, port):
        done = run_worker(
            settings,
            smtp_url=f"smtp://relay:s3cret@127.0.0.1:{port}",
            mail_from="Aiguillage <ne-pas-repondre@aiguillage.example>",
            public_url="https://console.aiguillage.example/",
        )
        assert done.returncode == 0, done.stderr
    assert box.logins == ["relay", "relay"]
    subjects = sorted(m["Subject"] for _, m, _ in box.messages)
    # Alex is told of the orientation to A, then that B retrieved the dossier.
    assert subjects == [
        "[aiguillage] Dossier récupéré par Médiathèque B",
        "[aiguillage] Nouveau dossier orienté vers Espace A",
    ]
    link = f"https://console.aiguillage.example/dossiers/{to_global_id('Dossier', dossier.id)}"
    for rcpt, message, raw in box.messages:
        assert rcpt == ["alex@a.example"]
        assert message["From"] == "Aiguillage <ne-pas-repondre@aiguillage.example>"
        parts = {
            part.get_content_type(): part.get_payload(decode=True).decode()
            for part in message.walk()
            if not part.is_multipart()
        }
        assert set(parts) == {"text/plain", "text/html"}
        assert link in parts["text/plain"] and f'href="{link}"' in parts["text/html"]
        assert "Bonjour" in parts["text/plain"]
        everything = (raw.decode("utf-8", "replace") + "".join(parts.values())).lower()
        for secret in (NAME, "lefevre", CARNET, NOTE):
            assert secret.lower() not in everything
    assert {(r.channel, r.status, r.attempts) for r in _outbox(db)} == {("email", "sent", 1)}


def test_without_smtp_the_worker_says_so_and_sends_nothing(settings: Settings, db: Database) -> None:
    w = _world(db)
    with db.write() as session:
        _orient(session, w)
    done = run_worker(settings)
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).count("e-mail is off") == 1
    assert {(r.status, r.attempts) for r in _outbox(db)} == {("off", 1)}


def _limiter() -> MemoryLimiter:
    return MemoryLimiter(100, 60)


def test_a_failing_receiver_gets_the_event_after_retries(settings: Settings, db: Database) -> None:
    w = _world(db)
    with http_receiver(lambda n: 500 if n <= 2 else 204) as receiver:
        with db.write() as session:
            _, secret = webhooks.add_webhook(session, receiver.url, None, None)
            _orient(session, w)
        with worker_process(settings, webhook_retry_first_seconds="1") as worker:
            calls = receiver.wait_for(3)
            deadline = datetime.now() + timedelta(seconds=20)
            while datetime.now() < deadline and _outbox(db)[-1].status != "sent":
                threading.Event().wait(0.1)
        assert worker.returncode == 0  # SIGTERM: a clean stop
    assert len(calls) == 3
    ids = {c.headers["webhook-id"] for c in calls}
    assert len(ids) == 1  # retries carry the same event id
    for call in calls:
        body = Verifier(secret).verify(call.body, call.headers)
        assert body["id"] in ids and body["type"] == "dossier.oriented"
    hook = next(r for r in _outbox(db) if r.channel == Channel.WEBHOOK.value)
    assert (hook.status, hook.attempts, hook.last_error) == ("sent", 3, None)


def test_a_worker_killed_mid_delivery_delivers_after_restart(settings: Settings, db: Database) -> None:
    w = _world(db)
    release = threading.Event()

    def answer(n: int) -> int:
        if n == 1:
            release.wait(30)  # hold the first call until the worker is dead
        return 200

    with http_receiver(answer) as receiver:
        with db.write() as session:
            webhooks.add_webhook(session, receiver.url, None, None)
            _orient(session, w)
        with worker_process(settings, worker_lease_seconds="2") as first:
            receiver.wait_for(1)
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        release.set()
        hook = next(r for r in _outbox(db) if r.channel == Channel.WEBHOOK.value)
        assert hook.status == "pending" and hook.lease is not None  # taken, never recorded
        with worker_process(settings, worker_lease_seconds="2"):
            calls = receiver.wait_for(2)
            deadline = datetime.now() + timedelta(seconds=20)
            while datetime.now() < deadline and _outbox(db)[-1].status != "sent":
                threading.Event().wait(0.1)
    assert calls[0].headers["webhook-id"] == calls[1].headers["webhook-id"]
    hook = next(r for r in _outbox(db) if r.channel == Channel.WEBHOOK.value)
    assert hook.status == "sent"


def test_two_workers_find_each_reminder_expiry_and_delivery_once(settings: Settings, db: Database) -> None:
    w = _world(db)
    at = datetime.fromisoformat("2027-01-15T09:00:00+01:00")
    n = 25
    with db.write() as session:
        expiring = [factories.dossier(session, w["a"], since=at - 31 * DAY).id for _ in range(n)]
        overdue = [factories.dossier(session, w["b"], since=at - 12 * DAY).id for _ in range(n)]
        fresh = factories.dossier(session, w["b"], since=at - 2 * DAY).id
    with http_receiver(lambda n: 200) as receiver, smtp_server() as (box, port):
        with db.write() as session:
            webhooks.add_webhook(session, receiver.url, None, None)
        extra = {"smtp_url": f"smtp://127.0.0.1:{port}"}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker", "--once", "--at", at.isoformat()],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=worker_env(settings, **extra),
            )
            for _ in range(2)
        ]
        for p in procs:
            _out, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        calls = list(receiver.calls)
        mails = list(box.messages)
    with db.read() as session:
        kinds = session.execute(
            select(DossierEvent.dossier_id, DossierEvent.kind, func.count())
            .where(DossierEvent.kind.in_(["EXPIRED", "REMINDED"]))
            .group_by(DossierEvent.dossier_id, DossierEvent.kind)
        ).all()
        statuses = dict(session.execute(select(Dossier.id, Dossier.status)).all())
    assert sorted((d, k, c) for d, k, c in kinds) == sorted(
        [(d, "EXPIRED", 1) for d in expiring] + [(d, "REMINDED", 1) for d in overdue]
    )
    assert {statuses[d] for d in expiring} == {"RETURNED"} and statuses[fresh] == "ORIENTED"
    # Partners hear of each expiry once; coordinators and the structure's operator get one e-mail each.
    ids = [c.headers["webhook-id"] for c in calls]
    assert len(ids) == n and len(set(ids)) == n
    assert sorted(rcpt[0] for rcpt, _, _ in mails) == sorted(
        ["coline@coord.example"] * n + ["carl@coord.example"] * n + ["bea@b.example"] * n
    )
    assert {r.status for r in _outbox(db)} == {DeliveryStatus.SENT.value}


def test_the_readme_receiver_verifies_and_dedupes() -> None:
    from pathlib import Path

    from batch.webhooks import body_of, headers_for
    from resolvers.webhooks import new_secret

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\nimport base64") + len("```python\n")
    secret = new_secret()
    code = readme[start : readme.index("```", start)].replace('"whsec_…"', repr(secret))
    code = code.replace("    ...\n", "    return event\n")
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the README's own snippet, run as a receiver would
    body = body_of({"id": "evt-1", "type": "dossier.declined"})
    headers = headers_for(secret, "evt-1", body)
    assert namespace["receive"](headers, body) == {"id": "evt-1", "type": "dossier.declined"}
    assert namespace["receive"](headers, body) is None  # a second delivery of the same id
    with pytest.raises(ValueError, match="bad signature"):
        namespace["receive"]({**headers, "webhook-id": "evt-2"}, body)
    assert Verifier(secret).verify(body, headers) == {"id": "evt-1", "type": "dossier.declined"}


def test_starttls_and_login(settings: Settings, db: Database, tmp_path: Path) -> None:
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    w = _world(db)
    with db.write() as session:
        _orient(session, w)
    with smtp_server("relay", "s3cret", tls=server) as (box, port):
        # The server refuses to log in or to take mail before STARTTLS: the worker must have used it.
        done = run_worker(
            settings,
            smtp_url=f"smtp+starttls://relay:s3cret@127.0.0.1:{port}",
            env={"SSL_CERT_FILE": str(tmp_path / "ca.pem")},
        )
        assert done.returncode == 0, done.stderr
    assert box.logins == ["relay"] and [rcpt for rcpt, _, _ in box.messages] == [["alex@a.example"]]


def test_a_delivery_failing_for_a_day_is_marked_failed_and_listed(settings: Settings, db: Database) -> None:
    w = _world(db)
    with http_receiver(lambda n: 503) as receiver:
        with db.write() as session:
            hook, _ = webhooks.add_webhook(session, receiver.url, None, None)
            _orient(session, w)
        deliveries.run(db, settings, utcnow())
        [row] = [r for r in _outbox(db) if r.channel == Channel.WEBHOOK.value]
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 503")
        wait = row.next_attempt_at - utcnow()
        assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
        # A day later (its first try that long ago), the next failure gives up.
        with db.write() as session:
            session.execute(
                update(Notification)
                .where(Notification.id == row.id)
                .values(created_at=utcnow() - timedelta(hours=24, minutes=1), next_attempt_at=utcnow())
            )
        deliveries.run(db, settings, utcnow())
        assert len(receiver.calls) == 2
    [row] = [r for r in _outbox(db) if r.channel == Channel.WEBHOOK.value]
    assert (row.status, row.attempts) == ("failed", 2)
    with db.read() as session:
        [line] = webhooks.deliveries(session, hook.id, DeliveryStatus.FAILED)
    assert line.event_type == "dossier.oriented" and line.last_error == "HTTP 503"


def test_backoff_doubles_up_to_six_hours(settings: Settings) -> None:
    waits = [deliveries.backoff(settings, n).total_seconds() for n in range(1, 14)]
    assert waits[:4] == [30, 60, 120, 240]
    assert waits[-1] == 6 * 3600 and waits == sorted(waits)
    # about a day of tries: the waits before giving up add up past the retry window
    assert sum(waits) > 24 * 3600
