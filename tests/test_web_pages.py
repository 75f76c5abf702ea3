"""The pages' HTTP side: routes, security headers, the config they read, and what the static routes refuse."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.settings import SettingsError, load_settings
from app.web import WEB, content_security_policy
from models.enums import (
    ARCHIVE_REASON_LABELS,
    ArchiveReason,
    DeclineReason,
    DossierEventKind,
    ServiceKind,
)
from models.standard import SERVICE_LABELS


def csp(response: Any) -> dict[str, str]:
    directives = [d.strip() for d in response.headers["content-security-policy"].split(";")]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in directives}


@pytest.mark.parametrize("path", ["/", "/carte", "/console"])
def test_pages_are_served_with_a_strict_policy(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = csp(response)
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"
    # the tile server (OpenStreetMap by default) is the only other origin, for images only
    assert policy["img-src"] == "'self' data: https://tile.openstreetmap.org"
    assert policy["connect-src"] == "'self'"


def test_the_map_may_be_embedded_by_a_setting_the_console_never(settings: Any, db: Any) -> None:
    from starlette.testclient import TestClient

    from app.asgi import create_app

    embeddable = settings.model_copy(update={"map_frame_ancestors": "https://www.example.fr"})
    with TestClient(create_app(embeddable)) as client:
        assert csp(client.get("/"))["frame-ancestors"] == "https://www.example.fr"
        assert "x-frame-options" not in client.get("/").headers
        assert csp(client.get("/console"))["frame-ancestors"] == "'none'"
        assert client.get("/console").headers["x-frame-options"] == "DENY"


def test_no_inline_script_or_style_in_the_pages() -> None:
    for page in WEB.glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), page.name
        assert "<style" not in html and " style=" not in html, page.name
        assert not re.search(r"\son[a-z]+=", html), page.name
    for script in (WEB / "js").glob("*.js"):
        code = script.read_text()
        # Data becomes text nodes, never parsed HTML.
        assert "innerHTML" not in code and "insertAdjacentHTML" not in code, script.name


def test_config_gives_the_pages_the_settings_and_the_one_home_vocabularies(client: Any) -> None:
    body = client.get("/web/config.json").json()
    assert body["tiles"]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "OpenStreetMap" in body["tiles"]["attribution"]
    assert body["services"] == {k.name: v for k, v in SERVICE_LABELS.items()}
    assert len(body["services"]) == len(ServiceKind) == 9
    assert body["archiveReasons"] == {k.name: v for k, v in ARCHIVE_REASON_LABELS.items()}
    assert set(body["archiveReasons"]) == {r.name for r in ArchiveReason}
    assert body["tabs"] == {
        "ORIENTED": "Orientation",
        "TAKEN_IN_CHARGE": "Prise en charge",
        "ARCHIVED": "Archives",
        "RETURNED": "À réorienter",
    }
    assert set(body["events"]) == {k.name for k in DossierEventKind}
    assert set(body["declineReasons"]) == {r.name for r in DeclineReason}
    assert body["carnetExample"] == "000ysz"


def test_static_files_and_front_end_packages_are_served_compressed(client: Any) -> None:
    for path in [
        "/static/js/map.js",
        "/static/css/app.css",
        "/vendor/dsfr/dsfr.min.css",
        "/vendor/leaflet/leaflet.js",
        "/vendor/markercluster/leaflet.markercluster.js",
        "/vendor/axe-core/axe.min.js",
    ]:
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200, path
        assert response.headers.get("content-encoding") == "gzip", path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert (
        client.get("/static/js/map.js")
        .headers["content-type"]
        .startswith(("text/javascript", "application/javascript"))
    )
    # only the packages' built files: not their metadata, not the repository around web/
    assert client.get("/vendor/leaflet/package.json").status_code == 404
    assert client.get("/static/../pyproject.toml").status_code == 404
    assert client.get("/vendor/dsfr/../package.json").status_code == 404


def test_every_file_the_pages_link_exists(client: Any) -> None:
    for page in ("/", "/console"):
        html = client.get(page).text
        for ref in re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', html):
            assert client.get(ref).status_code == 200, ref
    for script in (WEB / "js").glob("*.js"):
        for module in re.findall(r'from "\./([^"]+)"', script.read_text()):
            assert (Path(script.parent) / module).exists(), module


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("map_tiles_url", "tile.example.org/{z}/{x}/{y}.png"),
        ("map_tiles_url", "https://tile.example.org/{z}/{x}.png"),
        ("map_frame_ancestors", "https://a.fr; script-src *"),
        ("map_frame_ancestors", " "),
    ],
)
def test_bad_map_settings_stop_start_up_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"AIGUILLAGE_{variable.upper()}"):
        load_settings(**{variable: value})


def test_the_policy_names_the_configured_tile_server() -> None:
    settings = load_settings(map_tiles_url="https://tiles.example.fr:8443/osm/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tiles.example.fr:8443;" in content_security_policy(
        settings, "'none'"
    )
