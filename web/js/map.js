// The public map: search by postal code or commune, « Autour de moi », service filters, a list in step with
// clustered markers, a place's card, and the page's state in its URL so that a link can be shared.
import { ApiError, baseMap, fill, graphql, h, km, loadConfig, pin, structuresGeoJSON } from "./api.js";

const NEARBY = `query Nearby($near: PlaceInput!, $kinds: [ServiceKind!], $first: Int, $openAt: DateTime,
                             $publics: [Public!], $specificSupport: [SpecificSupport!]) {
  nearbyOfferings(near: $near, kinds: $kinds, radiusKm: 20, first: $first, openAt: $openAt, publics: $publics,
                  specificSupport: $specificSupport) {
    edges { distanceKm node { structure { id name phone website openingHours isOperator appointmentUrl
      accessibilityUrl openingStatus { isOpen nextChange }
      address { street postalCode city } location { latitude longitude } offerings { kind acceptsCarnet } } } }
  }
}`;
const COMMUNES = `query Communes($search: String!) {
  communes(search: $search, first: 8) { code name postalCodes departmentCode }
}`;
const FRANCE = { lat: 46.6, lng: 2.4, z: 6 };
const NEARBY_FIRST = 100;

const state = { q: "", around: null, kinds: [], publics: [], specificSupport: [], open: false, lieu: null };
// « Ouvert maintenant »: the instant the list was asked for, so that the markers are those open at the same one.
let openAt = null;
/** Now, to the minute (the API's openAt compares minutes), so that repeated map moves can be answered by a 304. */
function now() {
  const t = new Date();
  t.setSeconds(0, 0);
  return t.toISOString();
}
// The filter groups: the URL parameter, the state's key, the config's labels, the legend.
const FILTERS = [
  ["services", "kinds", "services", "Services"],
  ["publics", "publics", "publics", "Publics accueillis"],
  ["accueil", "specificSupport", "specificSupport", "Accompagnement spécifique"],
];
let config;
let map;
let cluster;
const markers = new Map(); // structure id -> marker
const places = new Map(); // structure id -> place (from the search or from the viewport)
let nearby = null; // [{place, distanceKm}] nearest first, or null before any search
let visibleIds = new Set();
let viewportAbort = null;
const communeCodes = new Map(); // a completion's text -> the commune's INSEE code

const $ = (id) => document.getElementById(id);

function placeFromFeature(feature) {
  const p = feature.properties;
  const [lng, lat] = feature.geometry.coordinates;
  return {
    id: p.id, name: p.name, address: p.address, phone: p.phone, website: p.website,
    openingHours: p.openingHours, isOperator: p.isOperator, acceptsCarnet: p.acceptsCarnet,
    kinds: p.kinds, lat, lng, appointmentUrl: p.appointmentUrl, accessibilityUrl: p.accessibilityUrl,
  };
}

function placeFromStructure(s) {
  return {
    id: s.id, name: s.name, address: s.address, phone: s.phone, website: s.website,
    openingHours: s.openingHours, isOperator: s.isOperator,
    acceptsCarnet: s.offerings.some((o) => o.acceptsCarnet),
    kinds: Object.keys(config.services).filter((k) => s.offerings.some((o) => o.kind === k)),
    lat: s.location?.latitude, lng: s.location?.longitude,
    appointmentUrl: s.appointmentUrl, accessibilityUrl: s.accessibilityUrl, openingStatus: s.openingStatus,
    rich: true,
  };
}

// ---- URL state ----

function readUrl() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") ?? "";
  const around = params.get("autour")?.split(",").map(Number);
  state.around = around?.length === 2 && around.every(Number.isFinite) ? around : null;
  for (const [param, key, labels] of FILTERS) {
    state[key] = (params.get(param) ?? "").split(",").filter((k) => k in config[labels]);
  }
  state.open = params.get("ouvert") === "1";
  state.lieu = params.get("lieu");
  const view = ["lat", "lon", "z"].map((k) => Number(params.get(k)));
  return params.has("z") && view.every(Number.isFinite) ? { lat: view[0], lng: view[1], z: view[2] } : null;
}

function writeUrl() {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.around) params.set("autour", state.around.join(","));
  for (const [param, key] of FILTERS) if (state[key].length) params.set(param, state[key].join(","));
  if (state.open) params.set("ouvert", "1");
  if (state.lieu) params.set("lieu", state.lieu);
  const c = map.getCenter();
  params.set("lat", c.lat.toFixed(4));
  params.set("lon", c.lng.toFixed(4));
  params.set("z", String(map.getZoom()));
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

// ---- filters ----

function checkbox(name, value, label, checked) {
  const id = `${name}-${value}`;
  return h("div", { className: "fr-fieldset__element" },
    h("div", { className: "fr-checkbox-group fr-checkbox-group--sm" },
      h("input", { type: "checkbox", id, name, value, checked, onchange: onFiltersChanged }),
      h("label", { className: "fr-label", for: id }, label)));
}

function buildFilters() {
  $("services").before(checkbox("ouvert", "1", "Ouvert maintenant", state.open));
  $("services").append(
    ...Object.entries(config.services).map(([kind, label]) => checkbox("services", kind, label, state.kinds.includes(kind))),
  );
  for (const [param, key, labels, legend] of FILTERS.slice(1)) {
    $("extra-filters").append(
      h("fieldset", { className: "fr-fieldset", "aria-labelledby": `${param}-legend` },
        h("legend", { className: "fr-fieldset__legend fr-text--regular", id: `${param}-legend` }, legend),
        Object.entries(config[labels]).map(([value, label]) => checkbox(param, value, label, state[key].includes(value)))));
  }
}

function onFiltersChanged() {
  for (const [param, key] of FILTERS) {
    state[key] = [...document.querySelectorAll(`input[name=${param}]:checked`)].map((i) => i.value);
  }
  state.open = $("ouvert-1").checked;
  if (state.q || state.around) search({ fit: false });
  else reloadViewport();
}

// ---- search ----

function fieldError(message) {
  const error = $("place-error");
  const group = $("place-group");
  error.textContent = message ?? "";
  error.hidden = !message;
  group.classList.toggle("fr-input-group--error", Boolean(message));
  $("place").setAttribute("aria-invalid", message ? "true" : "false");
}

const communeLabel = (c) => `${c.name} (${c.postalCodes[0] ?? c.departmentCode})`;

async function findCommunes(text) {
  const communes = (await graphql(COMMUNES, { search: text })).communes;
  for (const c of communes) communeCodes.set(communeLabel(c), c.code);
  return communes;
}

let completing = null;
function completeCommunes() {
  clearTimeout(completing);
  completing = setTimeout(async () => {
    const text = $("place").value.trim();
    if (text.length < 2 || /^\d{5}$/.test(text) || communeCodes.has(text)) return;
    let communes;
    try {
      communes = await findCommunes(text);
    } catch (error) {
      if (error instanceof ApiError) return; // the search itself will say what is wrong
      throw error;
    }
    fill($("place-suggestions"), communes.map((c) => h("option", { value: communeLabel(c) })));
  }, 200);
}

/** A postal code as it is; a commune from its completion, or the best match of the name typed. */
async function nearFromInput() {
  const text = state.q.trim();
  if (/^\d{5}$/.test(text)) return { postalCode: text };
  if (text.length < 2) return null;
  if (!communeCodes.has(text)) {
    const found = await findCommunes(text.replace(/\s*\([^)]*\)$/, ""));
    if (found.length) communeCodes.set(text, found[0].code);
  }
  return communeCodes.has(text) ? { communeCode: communeCodes.get(text) } : null;
}

let searches = 0;

async function search({ fit = true } = {}) {
  // Filters clicked in a row start searches in a row: only the last one's answer is shown.
  const mine = ++searches;
  let near;
  if (state.around) near = { point: { latitude: state.around[0], longitude: state.around[1] } };
  else {
    try {
      near = await nearFromInput();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      near = null;
    }
    if (!near) {
      fieldError(state.q.trim()
        ? `Commune inconnue : « ${state.q.trim()} ». Choisissez une commune proposée ou indiquez un code postal à 5 chiffres, par exemple 16000.`
        : "Indiquez une commune ou un code postal à 5 chiffres, par exemple 16000.");
      $("place").focus();
      return;
    }
  }
  fieldError(null);
  $("map").dataset.state = "loading";
  $("results-summary").textContent = "Recherche en cours…";
  let data;
  try {
    const some = (list) => (list.length ? list : null);
    if (state.open) openAt = now();
    data = await graphql(NEARBY, {
      near, kinds: some(state.kinds), publics: some(state.publics), specificSupport: some(state.specificSupport),
      openAt: state.open ? openAt : null, first: NEARBY_FIRST,
    });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (mine !== searches) return;
    nearby = [];
    fieldError(error.message);
    renderList();
    $("results-summary").textContent = error.message;
    $("map").dataset.state = "ready";
    return;
  }
  if (mine !== searches) return;
  const seen = new Map();
  for (const edge of data.nearbyOfferings.edges) {
    const s = edge.node.structure;
    if (!seen.has(s.id)) seen.set(s.id, { place: placeFromStructure(s), distanceKm: edge.distanceKm });
  }
  nearby = [...seen.values()];
  for (const { place } of nearby) places.set(place.id, place);
  writeUrl();
  const view = () => `${map.getCenter()} ${map.getZoom()}`;
  const before = view();
  if (fit && nearby.length) {
    const bounds = window.L.latLngBounds(nearby.map(({ place }) => [place.lat, place.lng]));
    map.fitBounds(bounds.pad(0.1), { maxZoom: 14, animate: false });
  }
  // Moving the map reloads the viewport (moveend); when it did not move, reload here.
  if (view() === before) await reloadViewport();
}

// ---- viewport ----

async function reloadViewport() {
  $("map").dataset.state = "loading";
  viewportAbort?.abort();
  viewportAbort = new AbortController();
  const status = $("map-status");
  let collection;
  try {
    // The list's instant when there is a list (both then show the places open at that instant), else now.
    const at = state.open ? ((nearby !== null && openAt) || now()) : null;
    collection = await structuresGeoJSON(map.getBounds(), { ...state, openAt: at }, viewportAbort.signal);
  } catch (error) {
    if (error.name === "AbortError") return;
    if (!(error instanceof ApiError)) throw error;
    cluster.clearLayers();
    markers.clear();
    visibleIds = new Set();
    status.textContent = error.message;
    renderList();
    $("map").dataset.state = "ready";
    return;
  }
  cluster.clearLayers();
  markers.clear();
  visibleIds = new Set();
  const layers = [];
  for (const feature of collection.features) {
    // A place found by the search knows more (hours now, appointment, accessibility) than its feature.
    const known = places.get(feature.properties.id);
    const place = known?.rich ? known : placeFromFeature(feature);
    places.set(place.id, place);
    visibleIds.add(place.id);
    const marker = pin([place.lat, place.lng], place.name, place.isOperator);
    marker.on("click keypress", () => openCard(place.id, { pan: false }));
    markers.set(place.id, marker);
    layers.push(marker);
  }
  cluster.addLayers(layers);
  const n = layers.length;
  status.textContent = n ? `${n} lieu${n > 1 ? "x" : ""} sur la carte` : "Aucun lieu dans cette zone de la carte.";
  document.body.dataset.markers = String(n);
  renderList();
  writeUrl();
  $("map").dataset.state = "ready";
}

// ---- list ----

function serviceLabels(place) {
  return place.kinds.map((k) => config.services[k] ?? k);
}

function renderList() {
  const list = $("results");
  fill(list);
  const summary = $("results-summary");
  let rows;
  if (nearby === null) {
    rows = [...visibleIds].map((id) => ({ place: places.get(id), distanceKm: null }))
      .sort((a, b) => a.place.name.localeCompare(b.place.name, "fr"));
    summary.textContent = rows.length
      ? `${rows.length} lieu${rows.length > 1 ? "x" : ""} dans la zone affichée.`
      : "Cherchez une commune ou un code postal.";
  } else {
    rows = nearby.filter(({ place }) => visibleIds.has(place.id));
    const hidden = nearby.length - rows.length;
    summary.textContent = nearby.length
      ? `${rows.length} lieu${rows.length > 1 ? "x" : ""} à moins de 20 km, du plus proche au plus loin`
        + (hidden > 0 ? ` (${hidden} hors de la zone affichée).` : ".")
      : "Aucun lieu à moins de 20 km avec ces services.";
  }
  for (const { place, distanceKm } of rows.slice(0, 100)) {
    list.append(
      h("li", { className: "result", "data-id": place.id, "aria-current": place.id === state.lieu ? "true" : null },
        h("h3", { className: "fr-h6 result__title" },
          h("button", { type: "button", className: "result__open", onclick: () => openCard(place.id, { pan: true }) },
            place.name)),
        h("p", { className: "fr-text--sm result__meta" },
          distanceKm === null ? null : h("strong", {}, `${km(distanceKm)} · `),
          `${place.address.street}, ${place.address.postalCode} ${place.address.city}`),
        openBadge(place),
        h("ul", { className: "fr-tags-group" },
          serviceLabels(place).map((label) => h("li", {}, h("p", { className: "fr-tag fr-tag--sm" }, label)))),
        h("p", { className: "fr-text--sm result__contact" }, contactLinks(place))));
  }
}

function openBadge(place) {
  const status = place.openingStatus;
  if (!status) return null;
  const next = status.nextChange
    ? new Date(status.nextChange).toLocaleString("fr-FR", { weekday: "long", hour: "2-digit", minute: "2-digit" })
    : null;
  return h("p", { className: `fr-badge fr-badge--sm ${status.isOpen ? "fr-badge--success" : "fr-badge--warning"}` },
    status.isOpen ? `Ouvert maintenant${next ? ` · ferme ${next}` : ""}` : `Fermé${next ? ` · ouvre ${next}` : ""}`);
}

function contactLinks(place) {
  const external = (href, text) => h("a", { href, rel: "noopener", target: "_blank", title: `${text} — ${place.name} (nouvelle fenêtre)` }, text);
  const links = [
    place.phone ? h("a", { href: `tel:${place.phone.replace(/\s+/g, "")}` }, place.phone) : null,
    place.website ? external(place.website, "Site internet") : null,
    place.appointmentUrl ? external(place.appointmentUrl, "Prendre rendez-vous") : null,
    place.accessibilityUrl ? external(place.accessibilityUrl, "Accessibilité") : null,
  ].filter(Boolean);
  return links.flatMap((link, i) => (i ? [" · ", link] : [link]));
}

// ---- card ----

function openCard(id, { pan }) {
  const place = places.get(id);
  if (!place) return;
  state.lieu = id;
  const card = $("card");
  fill(card,
    h("div", { className: "place-card__head" },
      h("h2", { id: "card-title", className: "fr-h5" }, place.name),
      h("button", { type: "button", className: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm", onclick: closeCard },
        "Fermer")),
    place.isOperator ? h("p", { className: "fr-badge fr-badge--info fr-badge--sm" }, "Membre du réseau") : null,
    h("p", {}, `${place.address.street}`, h("br"), `${place.address.postalCode} ${place.address.city}`),
    h("h3", { className: "fr-text--md fr-mb-1v" }, "Services"),
    h("ul", {}, serviceLabels(place).map((label) => h("li", {}, label))),
    openBadge(place),
    place.openingHours ? h("p", {}, h("strong", {}, "Horaires : "), place.openingHours) : null,
    place.acceptsCarnet ? h("p", { className: "fr-badge fr-badge--success fr-badge--sm" }, "Accepte les carnets") : null,
    h("p", {}, contactLinks(place)),
  );
  card.hidden = false;
  card.focus();
  if (pan && place.lat !== undefined) map.setView([place.lat, place.lng], Math.max(map.getZoom(), 15));
  for (const li of document.querySelectorAll(".result")) {
    li.toggleAttribute("aria-current", li.dataset.id === id);
  }
  writeUrl();
}

function closeCard() {
  const id = state.lieu;
  state.lieu = null;
  $("card").hidden = true;
  writeUrl();
  document.querySelector(`.result[data-id="${CSS.escape(id ?? "")}"] button`)?.focus();
}

// ---- start ----

async function start() {
  config = await loadConfig();
  const view = readUrl();
  buildFilters();
  // On a phone the nine filters would push the map out of sight: folded unless some are in use.
  const filtering = state.open || FILTERS.some(([, key]) => state[key].length);
  if (window.matchMedia("(max-width: 48em)").matches && !filtering) $("filters").open = false;
  $("place").value = state.q;
  map = baseMap($("map"), config);
  cluster = window.L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 50 });
  map.addLayer(cluster);
  const start = view ?? FRANCE;
  map.setView([start.lat, start.lng], start.z);
  map.on("movestart", () => { $("map").dataset.state = "moving"; });
  map.on("moveend", reloadViewport);

  $("place").addEventListener("input", completeCommunes);
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = $("place").value.trim();
    state.around = null;
    search();
  });
  $("around-me").addEventListener("click", () => {
    if (!navigator.geolocation) {
      fieldError("Votre navigateur ne donne pas votre position : indiquez un code postal.");
      return;
    }
    $("results-summary").textContent = "Recherche de votre position…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        // Rounded (about 1 km): the position goes into the shareable URL.
        state.around = [position.coords.latitude, position.coords.longitude].map((v) => Number(v.toFixed(2)));
        state.q = "";
        $("place").value = "";
        search();
      },
      () => {
        fieldError("Position indisponible ou refusée : indiquez un code postal.");
        $("results-summary").textContent = "";
      },
      { timeout: 10000, maximumAge: 600000 },
    );
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("card").hidden) closeCard();
  });

  if (state.q || state.around) await search({ fit: !view });
  else await reloadViewport();
  if (state.lieu) openCard(state.lieu, { pan: false });
}

start();
