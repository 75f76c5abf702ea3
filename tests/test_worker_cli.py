"""The command line of the follow-up: operators' e-mail, webhooks and the worker."""

from __future__ import annotations

from sqlalchemy import select

from app.database import Database
from app.limits import MemoryLimiter
from app.settings import Settings
from models import Dossier, Operator, Role
from resolvers import dossiers as uc
from resolvers.auth import Actor
from tests import factories
from tests.test_demo_and_cli import cli


def test_operator_email_and_notifications(settings: Settings, db: Database) -> None:
    with db.write() as session:
        place = factories.structure(session, "Lieu", operator=True)
    base = ["operator", "create", "--name", "Sam", "--role", "operator", "--structure", str(place.id)]
    bad = cli(settings, *base, "--email", "sam@")
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "--email" in bad.stderr and "prenom.nom@structure.fr" in bad.stderr
    created = cli(settings, *base, "--email", " Sam@Lieu.example ")
    assert created.returncode == 0, created.stderr
    operator_id = int(created.stdout.split()[1])
    off = cli(settings, "operator", "notifications", str(operator_id), "off")
    assert off.returncode == 0 and "off" in off.stdout
    with db.read() as session:
        row = session.get(Operator, operator_id)
        assert row is not None and (row.email, row.notifications) == ("Sam@lieu.example", False)
    on = cli(settings, "operator", "notifications", str(operator_id), "on")
    assert on.returncode == 0 and "Sam@lieu.example" in on.stdout
    missing = cli(settings, "operator", "notifications", "999999", "on")
    assert missing.returncode == 1 and "introuvable" in missing.stderr


def test_webhook_add_list_deliveries_remove(settings: Settings, db: Database) -> None:
    with db.write() as session:
        place = factories.structure(session, "Lieu", operator=True)
        coordinator = Actor(1, "Coline", Role.COORDINATOR, None)
        factories.operator_with_id(session, coordinator)
    bad_url = cli(settings, "webhook", "add", "ftp://partner.example/hook")
    assert bad_url.returncode == 1 and "http:// ou https://" in bad_url.stderr
    bad_type = cli(settings, "webhook", "add", "https://partner.example/hook", "--events", "dossier.eaten")
    assert (
        bad_type.returncode == 1
        and "dossier.eaten" in bad_type.stderr
        and "dossier.declined" in bad_type.stderr
    )
    added = cli(
        settings,
        "webhook",
        "add",
        "https://partner.example/hook",
        "--structure",
        str(place.id),
        "--events",
        "dossier.oriented,dossier.declined",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip().splitlines()[-1].startswith("whsec_")
    hook_id = added.stdout.split()[1]
    listed = cli(settings, "webhook", "list")
    assert f"{hook_id}\thttps://partner.example/hook\tstructure {place.id}" in listed.stdout
    assert "whsec_" not in listed.stdout and "pending 0, sent 0, failed 0" in listed.stdout

    with db.write() as session:
        data = uc.OrientInput(carnet_number="123abc", last_name="Lefèvre", to_structure_id=place.id)
        uc.orient(session, coordinator, data, r"[0-9]{3}[a-z]{3}", "000ysz", MemoryLimiter(10, 60))
    log = cli(settings, "webhook", "deliveries", "--webhook", hook_id)
    assert (
        log.returncode == 0
        and "dossier.oriented" in log.stdout
        and "pending after 0 attempt(s)" in log.stdout
    )
    assert "lefèvre" not in log.stdout.lower() and "123abc" not in log.stdout
    assert "pending 1, sent 0, failed 0" in cli(settings, "webhook", "list").stdout

    removed = cli(settings, "webhook", "remove", hook_id)
    assert removed.returncode == 0, removed.stderr
    assert cli(settings, "webhook", "list").stdout.strip() == "no webhook"
    failed = cli(settings, "webhook", "deliveries", "--status", "failed")
    assert "webhook retiré" in failed.stdout
    again = cli(settings, "webhook", "remove", hook_id)
    assert again.returncode == 1 and "introuvable" in again.stderr


def test_worker_once_at_an_instant(settings: Settings, db: Database) -> None:
    naive = cli(settings, "worker", "--once", "--at", "2027-01-15T09:00:00")
    assert naive.returncode == 1 and "2027-01-15T09:00:00+01:00" in naive.stderr
    assert naive.stderr.count("\n") == 1
    alone = cli(settings, "worker", "--at", "2027-01-15T09:00:00+01:00")
    assert alone.returncode == 1 and "--once" in alone.stderr
    with db.write() as session:
        place = factories.structure(session, "Lieu", operator=True)
        factories.dossier(session, place.id, carnet="123abc")
    done = cli(settings, "worker", "--once", "--at", "2040-01-01T00:00:00+01:00")
    assert done.returncode == 0, done.stderr
    assert "expiry: 1; reminders: 0; retention: 0; deliveries: 0" in done.stdout
    with db.read() as session:
        assert session.scalars(select(Dossier.status)).all() == ["RETURNED"]
    assert (
        "expiry: 0; reminders: 0" in cli(settings, "worker", "--once", "--at", "2040-01-01T00:00:00Z").stdout
    )
