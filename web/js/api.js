// Calls to the public API: GraphQL (POST, the token only in the Authorization header) and the GeoJSON endpoint.

let configPromise = null;

/** The settings and vocabularies the pages show (served by the app from its one home for them). */
export function loadConfig() {
  configPromise ??= fetch("/web/config.json").then((r) => r.json());
  return configPromise;
}

export class ApiError extends Error {}

/** POST a GraphQL document; resolves to `data`, throws ApiError (French message) on transport or GraphQL errors. */
export async function graphql(query, variables = {}, token = null) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  } catch {
    throw new ApiError("Le service ne répond pas. Vérifiez votre connexion puis réessayez.");
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`Réponse illisible du service (HTTP ${response.status}).`);
  }
  if (body.errors?.length) throw new ApiError(body.errors[0].message);
  if (!response.ok) throw new ApiError(`Erreur du service (HTTP ${response.status}).`);
  return body.data;
}

/** The places inside a box as GeoJSON, with the map's filters (`openAt`: an ISO 8601 instant, or null).
 * Throws ApiError with the endpoint's message. */
export async function structuresGeoJSON(bounds, { kinds, publics, specificSupport, openAt }, signal) {
  const bbox = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
    .map((v) => v.toFixed(5))
    .join(",");
  const params = new URLSearchParams({ bbox });
  if (kinds.length) params.set("kinds", kinds.join(","));
  if (publics.length) params.set("publics", publics.join(","));
  if (specificSupport.length) params.set("specific_support", specificSupport.join(","));
  if (openAt) params.set("open_at", openAt);
  const response = await fetch(`/geo/structures.geojson?${params}`, { signal });
  const body = await response.json();
  if (!response.ok) throw new ApiError(body.error?.message ?? `Erreur du service (HTTP ${response.status}).`);
  return body;
}

/** « 3,2 km » the French way. */
export function km(value) {
  return `${value.toLocaleString("fr-FR", { maximumFractionDigits: 1 })} km`;
}

/** Create an element with attributes and children (strings become text: no HTML is ever parsed from data). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "className") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replace an element's children (null and false are skipped, arrays flattened). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** A Leaflet map with the configured tiles; markers still show on a plain background when tiles fail. */
export function baseMap(element, config, options = {}) {
  const L = window.L;
  const map = L.map(element, { zoomControl: true, ...options });
  L.tileLayer(config.tiles.url, {
    attribution: config.tiles.attribution,
    maxZoom: 19,
    crossOrigin: false,
  }).addTo(map);
  map.attributionControl.setPrefix(false);
  return map;
}

/** A keyboard-focusable marker drawn in CSS (no image to fetch). */
export function pin(latlng, title, member = false) {
  const L = window.L;
  return L.marker(latlng, {
    title,
    alt: title,
    keyboard: true,
    riseOnHover: true,
    icon: L.divIcon({
      className: member ? "pin pin--member" : "pin",
      iconSize: [24, 24],
      iconAnchor: [12, 24],
      popupAnchor: [0, -24],
    }),
  });
}
