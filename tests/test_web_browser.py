"""The public map and the operator console in headless Chromium, against a real server, on both backends.

Each test loads the demo territory into the backend's test database, which a running ``aiguillage serve``
(one per backend, started once) reads. Every page and dialog goes through axe-core; no test may leave an error
in the browser console (the tile server's 404s aside: there is no internet here, and markers must show without
tiles) or a request off the machine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from app import demo
from app.database import Database
from app.settings import Settings
from tests.browser import Server, Watch, axe_violations, new_context, playwright_browser, start_server

# Low, so that the rate-limit message is reached in a few clicks (one server process per backend).
CLAIM_MAX_FAILURES = 3


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    with playwright_browser() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def _servers() -> Iterator[dict[str, Server]]:
    servers: dict[str, Server] = {}
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def server(
    db: Database,
    settings: Settings,
    backend: str,
    _servers: dict[str, Server],
    tmp_path_factory: pytest.TempPathFactory,
) -> Server:
    demo.load(db)
    if backend not in _servers:
        log = tmp_path_factory.mktemp(f"server-{backend}") / "server.log"
        _servers[backend] = start_server(
            settings.database_url, log, claim_max_failures=str(CLAIM_MAX_FAILURES)
        )
    return _servers[backend]


@dataclass
class Tab:
    page: Any
    watch: Watch
    base: str

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def accessible(self, selector: str | None = None) -> None:
        violations = axe_violations(self.page, self.base, selector)
        assert not violations, violations

    def clean(self) -> None:
        assert not self.watch.errors, self.watch.errors
        assert not self.watch.outside, self.watch.outside


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    context, watch = new_context(browser, server.base, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Tab(page, watch, server.base)
    context.close()


@pytest.fixture
def phone(browser: Any, server: Server) -> Iterator[Tab]:
    context, watch = new_context(
        browser, server.base, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Tab(page, watch, server.base)
    context.close()


def settled(tab: Tab) -> None:
    """The map has stopped moving and its markers and list are those of the view."""
    expect(tab.page.locator("#map")).to_have_attribute("data-state", "ready")


def result_names(tab: Tab) -> list[str]:
    settled(tab)
    return [name.strip() for name in tab.page.locator("#results .result__open").all_inner_texts()]


def no_horizontal_scroll(tab: Tab) -> None:
    width = tab.page.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.page.viewport_size["width"], f"the page is {width} px wide"


# ---------------- the public map ----------------


def test_postal_code_search_lists_and_marks_places_and_a_filter_narrows_them(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    expect(page.locator("input[name=services]")).to_have_count(9)
    tab.accessible()
    page.get_by_label("Commune ou code postal").fill("16000")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#results-summary")).to_contain_text("du plus proche au plus loin")
    names = result_names(tab)
    # nearest first: the annexe (0,3 km) and the Soleil are in Angoulême, the Remparts in Soyaux
    assert names[0] == "Permanence numérique de la mairie annexe"
    assert {"Espace numérique du Soleil", "Médiathèque des Remparts", "Ressourcerie Octet Vert"} <= set(names)
    assert "Repair café Cognaçais" not in names  # Cognac is beyond 20 km
    # markers from the GeoJSON viewport, with failing tiles: every listed place is on the map
    markers = int(page.locator("body").get_attribute("data-markers") or 0)
    assert markers >= len(names)
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    assert "q=16000" in page.url

    page.get_by_label("Acquisition de matériel informatique à prix solidaire").check(force=True)
    expect(page.locator("#results .result")).to_have_count(2)
    assert result_names(tab) == ["Épicerie solidaire et numérique", "Ressourcerie Octet Vert"]
    expect(page.locator("#map-status")).to_have_text(re.compile(r"^[23] lieux sur la carte$"))
    assert "services=AFFORDABLE_EQUIPMENT" in page.url

    # a place's card; the marker of that place is on the map
    page.locator("#results").get_by_role("button", name="Ressourcerie Octet Vert").click()
    card = page.locator("#card")
    expect(card).to_be_visible()
    expect(card.get_by_role("heading", name="Ressourcerie Octet Vert")).to_be_visible()
    expect(card).to_contain_text("Acquisition de matériel informatique à prix solidaire")
    expect(page.locator('.leaflet-marker-icon[title="Ressourcerie Octet Vert"]')).to_be_visible()
    tab.accessible()

    # the URL is the page's state: opening it again shows the same list and card
    settled(tab)
    shown = result_names(tab)
    shared = page.url
    assert "lieu=" in shared
    page.goto("about:blank")
    page.goto(shared)
    settled(tab)
    assert result_names(tab) == shown
    expect(page.locator("#card")).to_contain_text("Ressourcerie Octet Vert")
    expect(page.get_by_label("Acquisition de matériel informatique à prix solidaire")).to_be_checked()
    tab.clean()


def test_map_with_the_keyboard_alone_around_me_and_an_unknown_postal_code(tab: Tab) -> None:
    page = tab.page
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 45.6411, "longitude": 0.1986})  # Soyaux
    tab.goto("/carte")
    expect(page.locator("input[name=services]")).to_have_count(9)  # the page's script is ready
    page.get_by_label("Commune ou code postal").focus()
    page.keyboard.type("99999")
    page.keyboard.press("Enter")
    error = page.locator("#place-error")
    expect(error).to_be_visible()
    assert page.get_by_label("Commune ou code postal").get_attribute("aria-invalid") == "true"
    page.get_by_label("Commune ou code postal").fill("")
    page.keyboard.press("Enter")
    expect(error).to_contain_text("code postal à 5 chiffres")

    page.get_by_role("button", name="Autour de moi").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#results-summary")).to_contain_text("du plus proche au plus loin")
    assert result_names(tab)[0] in {
        "Médiathèque des Remparts",
        "Centre social des Tilleuls",
        "Ressourcerie Octet Vert",
        "Épicerie solidaire et numérique",
    }
    assert "autour=45.64%2C0.2" in page.url
    # open the first place's card with the keyboard, close it with Escape: focus returns to the list
    page.locator("#results .result__open").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#card")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('result__open')")
    # a marker is reachable with Tab and opens the card with Enter (once the map has stopped redrawing them)
    settled(tab)
    marker = page.locator(".pin[tabindex='0']").first
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#card")).to_be_visible()
    tab.clean()


def test_map_holds_at_375_pixels(phone: Tab) -> None:
    page = phone.page
    phone.goto("/?q=16000")
    expect(page.locator("#results .result").first).to_be_visible()
    no_horizontal_scroll(phone)
    map_box = page.locator("#map").bounding_box()
    assert map_box is not None and map_box["width"] <= 375 and map_box["height"] >= 200
    phone.accessible()
    phone.clean()


# ---------------- the operator console ----------------


def sign_in(tab: Tab, token: str) -> None:
    page = tab.page
    tab.goto("/console")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    page.get_by_label("Jeton d'accès").fill(token)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#workspace")).to_be_visible()


def open_dossier(tab: Tab, tab_name: str, last_name: str) -> None:
    page = tab.page
    page.get_by_role("tab", name=re.compile(f"^{re.escape(tab_name)}")).click()
    page.get_by_role("button", name=re.compile(f"^{re.escape(last_name)}")).click()
    expect(page.locator("#dossier-title")).to_contain_text(last_name)


def test_the_user_guides_four_scenarios(tab: Tab, server: Server) -> None:
    page = tab.page
    sign_in(tab, "demo-soleil")
    expect(page.locator("#structure-name")).to_have_text("Espace numérique du Soleil")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (1)", "Prise en charge (6)", "Archives (1)"]
    )
    expect(page.locator("table.dossiers tbody tr")).to_have_count(1)
    expect(page.locator("table.dossiers")).to_contain_text("aujourd'hui")
    tab.accessible()

    # 1. « J'indique que le.a bénéficiaire est pris.e en charge »
    open_dossier(tab, "Orientation", "MARTIN-DUBREUIL")
    tab.accessible()
    page.get_by_role("button", name="J'indique que le.a bénéficiaire est pris.e en charge").click()
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("quitte l'onglet Orientation pour l'onglet Prise en charge")
    tab.accessible("dialog[open]")
    dialog.get_by_role("button", name="Confirmer la prise en charge").click()
    expect(page.locator("#notice")).to_contain_text("est pris·e en charge")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (0)", "Prise en charge (7)", "Archives (1)"]
    )
    expect(page.locator(".history")).to_contain_text("Pris en charge")

    # 2. « Je le.a réoriente vers une autre structure opératrice »: suggestions, reasons, a map, a note
    open_dossier(tab, "Prise en charge", "FERRAND")
    page.get_by_role("button", name="Je le.a réoriente vers une autre structure opératrice").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".suggestions, .fr-radio-group").first).to_be_visible()
    expect(dialog).to_contain_text("Médiathèque des Remparts")
    expect(dialog).to_contain_text("propose : Maîtrise des outils numériques du quotidien")
    expect(dialog.locator("#reorient-map .leaflet-marker-icon").first).to_be_visible()
    tab.accessible("dialog[open]")
    dialog.get_by_role("button", name="Réorienter").click()
    expect(dialog.locator(".fr-error-text:visible")).to_contain_text("Choisissez une structure")
    dialog.get_by_label(re.compile("^Médiathèque des Remparts")).check(force=True)
    dialog.get_by_label("Note pour la structure (facultatif)").fill("Plus proche de chez lui")
    dialog.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#notice")).to_contain_text("réorienté vers Médiathèque des Remparts")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (0)", "Prise en charge (6)", "Archives (1)"]
    )

    # 3. « J'archive le dossier », with a reason
    open_dossier(tab, "Prise en charge", "LEBRUN")
    page.get_by_role("button", name="J'archive le dossier").click()
    dialog = page.locator("dialog[open]")
    tab.accessible("dialog[open]")
    dialog.get_by_label("Parcours terminé").check(force=True)
    dialog.get_by_role("button", name="Archiver le dossier").click()
    expect(page.locator("#notice")).to_contain_text("est archivé")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (0)", "Prise en charge (5)", "Archives (2)"]
    )
    expect(page.locator(".history")).to_contain_text("Motif : Parcours terminé")

    # 4. « Je récupère son dossier »: + Bénéficiaire, NOM + N° CARNET, [Réorienter], then take in charge
    page.get_by_role("tab", name="+ Bénéficiaire").click()
    tab.accessible()
    page.get_by_label("NOM du/de la bénéficiaire").fill("LEMOINE")
    page.get_by_label("N° CARNET").fill("999zzz")
    page.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#claim-form .form-error")).to_contain_text("Aucun dossier ne correspond")
    page.get_by_label("N° CARNET").fill("31")
    page.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#claim-carnet-error")).to_contain_text("000ysz")
    tab.accessible()
    page.get_by_label("N° CARNET").fill("314PQR")
    page.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#dossier-title")).to_contain_text("LEMOINE Claude")
    expect(page.locator("#notice")).to_contain_text("est récupéré")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (1)", "Prise en charge (5)", "Archives (2)"]
    )
    page.get_by_role("button", name="J'indique que le.a bénéficiaire est pris.e en charge").click()
    page.locator("dialog[open]").get_by_role("button", name="Confirmer la prise en charge").click()
    expect(page.locator("#notice")).to_contain_text("est pris·e en charge")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (0)", "Prise en charge (6)", "Archives (2)"]
    )

    # the token and the people never travel in a URL or reach the server's log; sign out forgets the token
    assert "demo-soleil" not in page.url and "LEMOINE" not in page.url.upper()
    log = server.log_text()
    assert "demo-soleil" not in log and "314pqr" not in log.lower() and "lemoine" not in log.lower()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    tab.clean()


def test_console_errors_rate_limit_stale_version_and_a_revoked_token(tab: Tab, server: Server) -> None:
    page = tab.page
    # a wrong token
    tab.goto("/console")
    page.get_by_label("Jeton d'accès").fill("pas-un-jeton")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#token-error")).to_contain_text("n'est pas reconnu")
    tab.accessible()

    # the retrieval limit: after CLAIM_MAX_FAILURES wrong pairs, a French message with the wait
    sign_in(tab, "demo-fabrique")
    page.get_by_role("tab", name="+ Bénéficiaire").click()
    page.get_by_label("NOM du/de la bénéficiaire").fill("Personne")
    for _ in range(CLAIM_MAX_FAILURES):
        page.get_by_label("N° CARNET").fill("999zzz")
        page.get_by_role("button", name="Réorienter").click()
        expect(page.locator("#claim-form .form-error")).to_contain_text("Aucun dossier")
    page.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#claim-form .form-error")).to_contain_text("Trop d'essais")
    expect(page.locator("#claim-form .form-error")).to_contain_text("min")

    # a stale screen: the dossier changed (version) after it was opened; the console says so and reloads it
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(tab, "demo-soleil")
    open_dossier(tab, "Orientation", "MARTIN-DUBREUIL")
    dossier_id = re.search(r"dossier=([^&]+)", page.url)
    assert dossier_id is not None
    coordinator = {"Authorization": "Bearer demo-coordination"}
    remparts = httpx.post(
        server.base + "/graphql",
        json={"query": "{ structures(filter: {operatorsOnly: true}) { edges { node { id name } } } }"},
    ).json()["data"]["structures"]["edges"]
    ids = {e["node"]["name"]: e["node"]["id"] for e in remparts}
    move = "mutation($d: ID!, $to: ID!) { reorientDossier(dossierId: $d, toStructureId: $to) { __typename } }"
    from urllib.parse import unquote

    did = unquote(dossier_id.group(1))
    for target in ("Médiathèque des Remparts", "Espace numérique du Soleil"):
        answer = httpx.post(
            server.base + "/graphql",
            json={"query": move, "variables": {"d": did, "to": ids[target]}},
            headers=coordinator,
        ).json()
        assert answer["data"]["reorientDossier"]["__typename"] == "DossierPayload", answer
    page.get_by_role("button", name="J'indique que le.a bénéficiaire est pris.e en charge").click()
    page.locator("dialog[open]").get_by_role("button", name="Confirmer la prise en charge").click()
    expect(page.locator("#notice")).to_contain_text("modifié entre-temps")
    expect(page.locator("#notice")).to_contain_text("rechargé")
    expect(page.locator(".history li")).to_have_count(3)  # oriented, reoriented twice: the page was reloaded
    tab.accessible()
    tab.clean()


def test_coordinator_orients_a_new_beneficiary_and_sees_typed_errors(tab: Tab) -> None:
    page = tab.page
    sign_in(tab, "demo-coordination")
    expect(page.locator("#structure-name")).to_contain_text("Coordination")
    page.get_by_role("tab", name="Orienter un·e bénéficiaire").click()
    tab.accessible()
    page.get_by_label("N° CARNET").fill("12")
    page.get_by_label("NOM", exact=True).fill("Durand")
    page.get_by_label("Aide aux démarches administratives").check(force=True)
    page.get_by_label("Structure opératrice").select_option(label="Médiathèque des Remparts (Soyaux)")
    page.get_by_role("button", name="Orienter", exact=True).click()
    expect(page.locator("#orient-carnet-error")).to_contain_text("000ysz")
    assert page.get_by_label("N° CARNET").get_attribute("aria-invalid") == "true"
    tab.accessible()
    page.get_by_label("N° CARNET").fill("201xyz")
    page.get_by_role("button", name="Orienter", exact=True).click()
    expect(page.locator("#dossier-title")).to_contain_text("DURAND")
    expect(page.locator("#notice")).to_contain_text("orienté·e vers Médiathèque des Remparts")
    tab.clean()


def test_console_holds_at_375_pixels(phone: Tab) -> None:
    page = phone.page
    sign_in(phone, "demo-soleil")
    # a tab chosen while the first list is still loading wins over that list
    page.get_by_role("tab", name=re.compile("^Prise en charge")).click()
    expect(page.locator("table.dossiers tbody tr")).to_have_count(6)
    expect(page.get_by_role("tab", selected=True)).to_have_text("Prise en charge (6)")
    # on a phone each dossier is a block whose cells say what they are
    first_row = page.locator("table.dossiers tbody tr").first
    expect(first_row.get_by_role("cell", name="Pris en charge depuis : aujourd'hui")).to_be_visible()
    no_horizontal_scroll(phone)
    open_dossier(phone, "Prise en charge", "FERRAND")
    phone.page.get_by_role("button", name="Je le.a réoriente vers une autre structure opératrice").click()
    expect(phone.page.locator("dialog[open] .fr-radio-group").first).to_be_visible()
    no_horizontal_scroll(phone)
    phone.accessible("dialog[open]")
    phone.clean()


def test_an_operator_declines_and_the_coordinator_reorients_from_a_reorienter(tab: Tab) -> None:
    page = tab.page
    sign_in(tab, "demo-soleil")
    open_dossier(tab, "Orientation", "MARTIN-DUBREUIL")
    page.get_by_role("button", name="Je refuse cette orientation").click()
    dialog = page.locator("dialog[open]")
    tab.accessible("dialog[open]")
    dialog.get_by_role("button", name="Refuser l'orientation").click()
    expect(dialog.locator(".fr-error-text:visible")).to_contain_text("Choisissez un motif")
    dialog.get_by_label("Plus de place pour le moment").check(force=True)
    dialog.get_by_role("button", name="Refuser l'orientation").click()
    expect(page.locator("#notice")).to_contain_text("renvoyé à la coordination")
    expect(page.get_by_role("tab")).to_have_text(
        ["+ Bénéficiaire", "Orientation (0)", "Prise en charge (6)", "Archives (1)"]
    )
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(tab, "demo-coordination")
    # the demo's queue already holds the dossier the Remparts declined
    expect(page.get_by_role("tab", name=re.compile(r"^À réorienter \(2\)$"))).to_be_visible()
    open_dossier(tab, "À réorienter", "MARTIN-DUBREUIL")
    expect(page.locator(".dossier-facts")).to_contain_text("Plus de place pour le moment")
    expect(page.locator(".history")).to_contain_text("Refusé par la structure")
    tab.accessible()
    page.get_by_role("button", name="Je le.a réoriente vers une autre structure opératrice").click()
    dialog = page.locator("dialog[open]")
    expect(dialog.locator(".fr-radio-group").first).to_be_visible()
    dialog.locator(".fr-radio-group label").first.click()
    dialog.get_by_role("button", name="Réorienter").click()
    expect(page.locator("#notice")).to_contain_text("est réorienté vers")
    expect(page.get_by_role("tab", name=re.compile(r"^À réorienter \(1\)$"))).to_be_visible()
    tab.clean()


def test_commune_search_completes_names(tab: Tab) -> None:
    page = tab.page
    tab.goto("/")
    expect(page.locator("input[name=services]")).to_have_count(9)  # the page's script is ready
    page.get_by_label("Commune ou code postal").fill("soya")
    expect(page.locator("#place-suggestions option[value='Soyaux (16800)']")).to_have_count(1)
    page.get_by_label("Commune ou code postal").fill("Soyaux (16800)")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#results-summary")).to_contain_text("du plus proche au plus loin")
    assert result_names(tab)[0] in {
        "Médiathèque des Remparts",
        "Centre social des Tilleuls",
        "Ressourcerie Octet Vert",
        "Épicerie solidaire et numérique",
    }
    page.get_by_label("Commune ou code postal").fill("Xyzzyville")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator("#place-error")).to_contain_text("Commune inconnue")
    tab.clean()


def test_coordinator_statistics_page(tab: Tab) -> None:
    page = tab.page
    sign_in(tab, "demo-coordination")
    page.get_by_role("tab", name="Statistiques").click()
    expect(page.get_by_role("heading", name="Statistiques du réseau")).to_be_visible()
    table = page.locator("table.dossiers")
    expect(table).to_contain_text("Espace numérique du Soleil")
    expect(page.locator(".stat-totals")).to_contain_text("Orientés")
    tab.accessible()
    page.get_by_label("Période").select_option(label="12 derniers mois")
    expect(page.locator("table.dossiers caption")).to_contain_text("12 derniers mois")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le tableau (CSV)").click()
    csv = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv.splitlines()[0].startswith('"Structure";"Orientés"')
    assert "Espace numérique du Soleil" in csv
    tab.clean()


def test_map_filters_of_the_standard_open_now_and_links(tab: Tab) -> None:
    page = tab.page
    tab.goto("/?q=16000")
    expect(page.locator("#results-summary")).to_contain_text("du plus proche au plus loin")
    everything = result_names(tab)
    soleil = page.locator("#results .result", has_text="Espace numérique du Soleil")
    # hours read now (open or closed, whatever the time of the run), appointment and accessibility links
    expect(soleil.locator(".fr-badge")).to_have_text(re.compile(r"^(Ouvert maintenant|Fermé)"))
    expect(soleil.get_by_role("link", name="Prendre rendez-vous")).to_have_attribute(
        "href", "https://rdv.example/lieu-01"
    )
    page.get_by_label("Seniors").check(force=True)
    expect(page.locator("#results-summary")).not_to_contain_text(f"{len(everything)} lieux")
    seniors = result_names(tab)
    assert "Maison des solidarités du Plateau" in seniors and "Espace numérique du Soleil" not in seniors
    assert set(seniors) < set(everything)
    assert "publics=SENIORS" in page.url
    page.get_by_label("Seniors").uncheck(force=True)
    page.get_by_label("Ouvert maintenant").check(force=True)
    settled(tab)
    assert "ouvert=1" in page.url
    badges = page.locator("#results .result .fr-badge").all_inner_texts()
    assert all(b.startswith("Ouvert maintenant") for b in badges)
    shown = int(page.locator("body").get_attribute("data-markers") or 0)
    assert shown == len(result_names(tab)) or shown >= len(badges)
    tab.accessible()
    tab.clean()


def test_overdue_dossiers_stand_out_in_the_lists(tab: Tab) -> None:
    page = tab.page
    sign_in(tab, "demo-fabrique")
    expect(page.get_by_role("tab", name="Orientation (4)")).to_have_attribute("aria-selected", "true")
    rows = page.locator("table.dossiers tbody tr")
    expect(rows).to_have_count(4)

    def row(last_name: str) -> Any:
        return rows.filter(has=page.get_by_role("button", name=re.compile(f"^{re.escape(last_name)}")))

    # Past the reminder delay (10 days): a badge in words, with the days the API counts, and the expiry date.
    for last_name, days in (("NGUYEN", 12), ("PERRIN", 16)):
        mark = row(last_name).locator(".fr-badge")
        expect(mark).to_have_text(f"En retard · {days} jours en attente")
        expect(row(last_name)).to_contain_text("Retour à la coordination le")
    # Oriented today: no mark.
    for last_name in ("ROUSSEL", "LEFÈVRE"):
        expect(row(last_name)).to_have_count(1)
        expect(row(last_name).locator(".fr-badge")).to_have_count(0)
        expect(row(last_name)).not_to_contain_text("En retard")
    expect(page.locator("table.dossiers .fr-badge")).to_have_count(2)
    tab.accessible()
    # The coordinators see the same marks in their Orientation tab, whatever structure holds the dossier.
    page.get_by_role("button", name="Se déconnecter").click()
    sign_in(tab, "demo-coordination")
    page.get_by_role("tab", name=re.compile(r"^Orientation \(")).click()
    expect(page.locator("table.dossiers caption")).to_have_text("Orientation : dossiers")
    expect(row("PERRIN").locator(".fr-badge")).to_have_text("En retard · 16 jours en attente")
    expect(row("MARTIN-DUBREUIL").locator(".fr-badge")).to_have_count(0)
    # Other tabs hold no overdue dossier: waiting there is not late.
    page.get_by_role("tab", name=re.compile(r"^Prise en charge \(")).click()
    expect(page.locator("table.dossiers caption")).to_have_text("Prise en charge : dossiers")
    expect(page.locator("table.dossiers .fr-badge")).to_have_count(0)
    tab.accessible()
    tab.clean()


def test_open_now_narrows_the_markers_to_the_places_open_at_the_lists_instant(tab: Tab) -> None:
    page = tab.page
    # A Monday at 10:00 in Angoulême, for the browser only: the page sends its own instant, the server has no
    # clock in this filter. Weekday hours are open then; « Tu,Th 14:00-18:00; Sa 10:00-12:00 » are not.
    page.clock.set_fixed_time("2026-11-30T10:00:00+01:00")
    tab.goto("/?q=16000")
    expect(page.locator("#results-summary")).to_contain_text("du plus proche au plus loin")
    everything = result_names(tab)
    assert {"Espace numérique du Soleil", "Atelier Clic & Co"} <= set(everything)
    before = int(page.locator("body").get_attribute("data-markers") or 0)

    def geojson(response: Any) -> bool:
        return "/geo/structures.geojson" in response.url and "open_at=" in response.url

    with page.expect_response(geojson) as answer:
        page.get_by_label("Ouvert maintenant").check(force=True)
    # The list's instant, to the minute, in the GeoJSON request: markers and list are those open then.
    assert "open_at=2026-11-30T09%3A00%3A00.000Z" in answer.value.url
    markers = {f["properties"]["name"] for f in answer.value.json()["features"]}
    shown = result_names(tab)
    assert "Espace numérique du Soleil" in shown and "Atelier Clic & Co" not in shown
    assert set(shown) <= markers
    assert "Atelier Clic & Co" not in markers and "Tiers-lieu La Fabrique" not in markers
    after = int(page.locator("body").get_attribute("data-markers") or 0)
    assert after == len(markers) < before
    expect(page.locator("#map-status")).to_have_text(f"{after} lieux sur la carte")

    # Without a search, the viewport's markers narrow too.
    view = re.search(r"lat=[^&]+&lon=[^&]+&z=\d+", page.url)
    assert view is not None
    tab.goto(f"/?{view.group(0)}")
    settled(tab)
    assert int(page.locator("body").get_attribute("data-markers") or 0) == before
    with page.expect_response(geojson):
        page.get_by_label("Ouvert maintenant").check(force=True)
    settled(tab)
    assert int(page.locator("body").get_attribute("data-markers") or 0) == after
    assert "ouvert=1" in page.url
    tab.accessible()
    tab.clean()
