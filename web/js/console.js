// The operators' console: the user guide's tabs and actions on the public GraphQL API.
// The token lives in sessionStorage and travels only in the Authorization header of POST requests.
import { ApiError, baseMap, fill, graphql, h, km, loadConfig, pin } from "./api.js";

const TOKEN_KEY = "aiguillage.token";
const PAGE = 20;
const SUGGESTION_RADII = [30, 100];
const STATUSES = ["ORIENTED", "TAKEN_IN_CHARGE", "ARCHIVED", "RETURNED"];
const COUNT_FIELD = { ORIENTED: "oriented", TAKEN_IN_CHARGE: "takenInCharge", ARCHIVED: "archived", RETURNED: "returned" };

const RESULT = `fragment Result on DossierResult {
  __typename
  ... on DossierPayload { dossier { id status version beneficiary { lastName firstName } structure { name } } }
  ... on Error { code message }
  ... on InvalidInputError { field }
  ... on RateLimitedError { retryAfterSeconds }
}`;
const Q = {
  me: `{ me { name role structure { id name } } }`,
  counts: `{ dossierCounts { oriented takenInCharge archived returned } }`,
  list: `query List($status: DossierStatus!, $search: String, $first: Int, $after: String) {
    dossiers(status: $status, search: $search, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id carnetNumber needs orientedAt takenInChargeAt archivedAt daysInStatus overdue expiresAt
        beneficiary { lastName firstName } structure { name } } }
    }
  }`,
  dossier: `query Dossier($id: ID!) {
    dossier(id: $id) { id carnetNumber status version needs orientedAt takenInChargeAt archivedAt archiveReason
      declineReason beneficiary { lastName firstName communeCode } structure { id name }
      history { kind at actor fromStructure { name } toStructure { name } archiveReason declineReason note } }
  }`,
  suggestions: `query Suggest($id: ID!, $radius: Float!) {
    reorientationSuggestions(dossierId: $id, radiusKm: $radius, first: 5) {
      structure { id name address { street postalCode city } location { latitude longitude } }
      distanceKm reasons
    }
  }`,
  members: `{ structures(filter: {operatorsOnly: true}, first: 100) { edges { node { id name address { city } } } } }`,
  take: `mutation Take($id: ID!, $version: Int) { takeInCharge(dossierId: $id, expectedVersion: $version) { ...Result } } ${RESULT}`,
  reorient: `mutation Reorient($id: ID!, $to: ID!, $note: String, $version: Int) {
    reorientDossier(dossierId: $id, toStructureId: $to, note: $note, expectedVersion: $version) { ...Result } } ${RESULT}`,
  decline: `mutation Decline($id: ID!, $reason: DeclineReason!, $note: String, $version: Int) {
    declineDossier(dossierId: $id, reason: $reason, note: $note, expectedVersion: $version) { ...Result } } ${RESULT}`,
  archive: `mutation Archive($id: ID!, $reason: ArchiveReason!, $note: String, $version: Int) {
    archiveDossier(dossierId: $id, reason: $reason, note: $note, expectedVersion: $version) { ...Result } } ${RESULT}`,
  claim: `mutation Claim($name: String!, $carnet: String!) {
    claimDossier(beneficiaryLastName: $name, carnetNumber: $carnet) { ...Result } } ${RESULT}`,
  statistics: `query Stats($from: DateTime!, $to: DateTime!) {
    statistics(from: $from, to: $to) {
      oriented takenInCharge reoriented archived declined expired claimed medianDaysToTakeInCharge
      archiveReasons { reason count } declineReasons { reason count }
      byStructure { structure { name } oriented takenInCharge reorientedAway archived declined expired waitingNow
        medianDaysToTakeInCharge }
    }
  }`,
  orient: `mutation Orient($input: OrientBeneficiaryInput!) { orientBeneficiary(input: $input) { ...Result } } ${RESULT}`,
};

let config;
let me = null;
let counts = null;
const view = { tab: "ORIENTED", search: "", dossierId: null };

const $ = (id) => document.getElementById(id);
// Each panel load takes a ticket; an answer that arrives after a newer load started is dropped, so that a
// slow list never replaces the tab the user has since chosen.
let generation = 0;
const ticket = () => ++generation;
const superseded = (mine) => mine !== generation;
const token = () => sessionStorage.getItem(TOKEN_KEY);
const api = (query, variables) => graphql(query, variables, token());

// ---- small formatting helpers ----

const fullName = (b) => [b.lastName.toUpperCase(), b.firstName].filter(Boolean).join(" ");
const date = (iso) => (iso ? new Date(iso).toLocaleDateString("fr-FR", { day: "numeric", month: "long", year: "numeric" }) : "");
const dateTime = (iso) => new Date(iso).toLocaleString("fr-FR", { dateStyle: "long", timeStyle: "short" });
function days(iso) {
  const n = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 86_400_000));
  return n === 0 ? "aujourd'hui" : `${n} jour${n > 1 ? "s" : ""}`;
}
const needs = (kinds) => kinds.map((k) => config.services[k] ?? k).join(", ") || "non précisés";

function notice(message, kind = "info") {
  fill($("notice"), message ? h("p", { className: `notice notice--${kind}` }, message) : "");
}

// ---- sign in / out ----

function showSignIn(message) {
  me = null;
  $("workspace").hidden = true;
  $("sign-out").hidden = true;
  $("who").textContent = "";
  $("sign-in").hidden = false;
  setFieldError($("sign-in-form"), "token", message);
  $("token").focus();
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  history.replaceState(null, "", location.pathname);
  showSignIn(message);
}

async function signIn(event) {
  event.preventDefault();
  const value = $("token").value.trim();
  if (!value) {
    setFieldError($("sign-in-form"), "token", "Collez votre jeton d'accès.");
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, value);
  $("token").value = "";
  await enter();
}

async function enter() {
  let data;
  try {
    data = await api(Q.me);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    showSignIn(error.message);
    return;
  }
  if (!data.me) {
    signOut("Ce jeton n'est pas reconnu (inconnu ou révoqué). Vérifiez-le auprès de la coordination.");
    return;
  }
  me = data.me;
  $("sign-in").hidden = true;
  $("workspace").hidden = false;
  $("sign-out").hidden = false;
  const coordinator = me.role === "COORDINATOR";
  $("who").textContent = `${me.name} · ${coordinator ? "Coordination" : "Opérateur·rice"}`;
  $("structure-name").textContent = coordinator ? "Coordination — toutes les structures" : me.structure.name;
  readHash();
  await refresh();
}

// ---- tabs ----

function tabs() {
  const list = [{ id: "CLAIM", label: "+ Bénéficiaire" }];
  // « À réorienter » is the coordinators' queue of declined and expired dossiers.
  for (const status of STATUSES.filter((s) => s !== "RETURNED" || me.role === "COORDINATOR")) {
    const n = counts ? ` (${counts[COUNT_FIELD[status]]})` : "";
    list.push({ id: status, label: `${config.tabs[status]}${n}` });
  }
  if (me.role === "COORDINATOR") {
    list.push({ id: "ORIENT", label: "Orienter un·e bénéficiaire" });
    list.push({ id: "STATS", label: "Statistiques" });
  }
  return list;
}

function renderTabs() {
  const bar = $("tabs");
  const all = tabs();
  bar.replaceChildren(
    ...all.map((tab) =>
      h("button", {
        type: "button", role: "tab", id: `tab-${tab.id}`, "data-tab": tab.id, "aria-controls": "panel",
        "aria-selected": String(view.tab === tab.id && !view.dossierId), tabindex: view.tab === tab.id ? "0" : "-1",
        onclick: () => selectTab(tab.id),
        onkeydown: (event) => {
          const i = all.findIndex((t) => t.id === tab.id);
          const move = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
          if (move) {
            const next = all[(i + move + all.length) % all.length];
            selectTab(next.id).then(() => $(`tab-${next.id}`).focus());
          }
        },
      }, tab.label)),
  );
  $("panel").setAttribute("aria-labelledby", `tab-${view.tab}`);
}

async function selectTab(id) {
  view.tab = id;
  view.dossierId = null;
  view.search = "";
  writeHash();
  notice(null);
  await refresh();
}

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const tab = params.get("onglet");
  view.tab = tabs().some((t) => t.id === tab) ? tab : "ORIENTED";
  view.dossierId = params.get("dossier");
}

function writeHash() {
  // Only the tab and the dossier's opaque id: never a name or a carnet number.
  const params = new URLSearchParams({ onglet: view.tab });
  if (view.dossierId) params.set("dossier", view.dossierId);
  history.replaceState(null, "", `#${params}`);
}

async function refresh() {
  const mine = ticket();
  try {
    counts = (await api(Q.counts)).dossierCounts;
    if (superseded(mine)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notice(error.message, "error");
  }
  renderTabs();
  if (view.dossierId) await showDossier(view.dossierId);
  else if (STATUSES.includes(view.tab)) await showList();
  else if (view.tab === "CLAIM") showClaimForm();
  else if (view.tab === "ORIENT") await showOrientForm();
  else if (view.tab === "STATS") await showStatistics();
}

// ---- lists ----

async function showList(after = null, rows = null) {
  const status = view.tab;
  const mine = ticket();
  let data;
  try {
    data = (await api(Q.list, { status, search: view.search || null, first: PAGE, after })).dossiers;
    if (superseded(mine)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill($("panel"), h("p", { className: "notice notice--error" }, error.message));
    return;
  }
  const coordinator = me.role === "COORDINATOR";
  const since = { ORIENTED: "orientedAt", TAKEN_IN_CHARGE: "takenInChargeAt", ARCHIVED: "archivedAt", RETURNED: "orientedAt" }[status];
  const sinceHeader = { ORIENTED: "En attente depuis", TAKEN_IN_CHARGE: "Pris en charge depuis", ARCHIVED: "Archivé le",
    RETURNED: "Orienté depuis" }[status];
  const body = rows ?? h("tbody");
  for (const { node } of data.edges) {
    const waited = node[since] ?? node.orientedAt;
    body.append(
      h("tr", { "data-id": node.id, className: node.overdue ? "dossier--overdue" : null },
        h("th", { scope: "row" },
          h("button", { type: "button", className: "fr-link", onclick: () => openDossier(node.id) }, fullName(node.beneficiary))),
        h("td", { "data-label": "N° carnet" }, node.carnetNumber),
        h("td", { "data-label": "Besoins" }, needs(node.needs)),
        coordinator ? h("td", { "data-label": "Structure" }, node.structure.name) : null,
        h("td", { className: "days", "data-label": sinceHeader }, status === "ARCHIVED" ? date(waited) : days(waited),
          overdueMark(node))));
  }
  const more = data.pageInfo.hasNextPage
    ? h("button", { type: "button", className: "fr-btn fr-btn--secondary fr-mt-2w",
      onclick: (event) => { event.target.remove(); showList(data.pageInfo.endCursor, body); } }, "Afficher les dossiers suivants")
    : null;
  if (rows) {
    if (more) $("panel").append(more);
    return;
  }
  const searchForm = h("form", { className: "fr-search-bar fr-mb-2w", role: "search", onsubmit: (event) => {
    event.preventDefault();
    view.search = event.target.elements.search.value.trim();
    showList();
  } },
  h("label", { className: "fr-label", for: "search" }, "Rechercher un nom ou un N° de carnet"),
  h("input", { className: "fr-input", id: "search", name: "search", type: "search", value: view.search,
    placeholder: "Nom ou N° de carnet" }),
  h("button", { className: "fr-btn", type: "submit", title: "Rechercher" }, "Rechercher"));
  const n = data.totalCount;
  fill($("panel"),
    searchForm,
    h("p", { className: "fr-text--sm", role: "status" },
      n ? `${n} dossier${n > 1 ? "s" : ""}${view.search ? ` pour « ${view.search} »` : ""}` : "Aucun dossier dans cet onglet."),
    n ? h("div", { className: "table-wrap" },
      h("table", { className: "dossiers" },
        h("caption", { className: "fr-sr-only" }, `${config.tabs[status]} : dossiers`),
        h("thead", {}, h("tr", {},
          h("th", { scope: "col" }, "Bénéficiaire"), h("th", { scope: "col" }, "N° carnet"),
          h("th", { scope: "col" }, "Besoins"), coordinator ? h("th", { scope: "col" }, "Structure") : null,
          h("th", { scope: "col" }, sinceHeader))),
        body)) : null,
    more,
  );
}

/** The API says which dossiers are overdue (waiting longer than the reminder delay): a badge with words. */
function overdueMark(node) {
  if (!node.overdue) return null;
  const n = node.daysInStatus;
  return [
    h("p", { className: "fr-badge fr-badge--sm fr-badge--warning overdue" }, `En retard · ${n} jour${n > 1 ? "s" : ""} en attente`),
    node.expiresAt ? h("p", { className: "fr-text--xs fr-mb-0 overdue__expiry" },
      `Retour à la coordination le ${date(node.expiresAt)}`) : null,
  ];
}

// ---- a dossier ----

async function openDossier(id) {
  view.dossierId = id;
  writeHash();
  notice(null);
  renderTabs();
  await showDossier(id);
  $("panel").focus();
}

async function showDossier(id) {
  const mine = ticket();
  let dossier;
  try {
    dossier = (await api(Q.dossier, { id })).dossier;
    if (superseded(mine)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notice(error.message, "error");
    return;
  }
  if (!dossier) {
    view.dossierId = null;
    writeHash();
    notice("Ce dossier n'est plus dans vos listes (réorienté ou récupéré par une autre structure).", "info");
    await refresh();
    return;
  }
  view.tab = dossier.status;
  renderTabs();
  const operatorHere = me.role === "OPERATOR" && me.structure?.id === dossier.structure.id;
  const active = dossier.status !== "ARCHIVED";
  const actions = [];
  if (dossier.status === "ORIENTED" && operatorHere) {
    actions.push(h("li", {}, h("button", { type: "button", className: "fr-btn", "data-action": "take",
      onclick: () => takeDialog(dossier) }, "J'indique que le.a bénéficiaire est pris.e en charge")));
  }
  if (dossier.status === "ORIENTED" && operatorHere) {
    actions.push(h("li", {}, h("button", { type: "button", className: "fr-btn fr-btn--secondary", "data-action": "decline",
      onclick: () => declineDialog(dossier) }, "Je refuse cette orientation")));
  }
  if (active) {
    actions.push(h("li", {}, h("button", { type: "button", className: "fr-btn fr-btn--secondary", "data-action": "reorient",
      onclick: () => reorientDialog(dossier) }, "Je le.a réoriente vers une autre structure opératrice")));
    actions.push(h("li", {}, h("button", { type: "button", className: "fr-btn fr-btn--tertiary", "data-action": "archive",
      onclick: () => archiveDialog(dossier) }, "J'archive le dossier")));
  }
  const b = dossier.beneficiary;
  fill($("panel"),
    h("button", { type: "button", className: "fr-btn fr-btn--tertiary-no-outline fr-btn--sm",
      onclick: () => selectTab(dossier.status) }, `← Retour à l'onglet ${config.tabs[dossier.status]}`),
    h("h3", { className: "fr-h4 fr-mt-2w", id: "dossier-title" }, fullName(b)),
    h("dl", { className: "dossier-facts" },
      h("dt", {}, "N° carnet"), h("dd", {}, dossier.carnetNumber),
      h("dt", {}, "Onglet"), h("dd", {}, config.tabs[dossier.status] ?? dossier.status),
      h("dt", {}, "Structure"), h("dd", {}, dossier.structure.name),
      h("dt", {}, "Besoins"), h("dd", {}, needs(dossier.needs)),
      h("dt", {}, "Orienté le"), h("dd", {}, `${date(dossier.orientedAt)} (${days(dossier.orientedAt)})`),
      dossier.takenInChargeAt ? [h("dt", {}, "Pris en charge le"), h("dd", {}, date(dossier.takenInChargeAt))] : null,
      dossier.archivedAt ? [h("dt", {}, "Archivé le"), h("dd", {}, date(dossier.archivedAt))] : null,
      dossier.archiveReason ? [h("dt", {}, "Motif"), h("dd", {}, config.archiveReasons[dossier.archiveReason])] : null,
      dossier.declineReason ? [h("dt", {}, "Motif du refus"), h("dd", {}, config.declineReasons[dossier.declineReason])] : null),
    actions.length ? h("ul", { className: "fr-btns-group fr-btns-group--inline-md dossier-actions" }, actions) : null,
    h("h4", { className: "fr-h6 fr-mt-4w" }, "Historique"),
    h("ol", { className: "history" },
      dossier.history.map((e) => h("li", {},
        h("strong", {}, config.events[e.kind] ?? e.kind), ` — ${dateTime(e.at)}`, e.actor ? ` — par ${e.actor}` : "",
        movement(e) ? [h("br"), movement(e)] : null,
        e.archiveReason ? [h("br"), `Motif : ${config.archiveReasons[e.archiveReason]}`] : null,
        e.declineReason ? [h("br"), `Motif du refus : ${config.declineReasons[e.declineReason]}`] : null,
        e.note ? [h("br"), `Note : ${e.note}`] : null))),
  );
}

/** Where an event moved the dossier; nothing when it stayed where it was. */
function movement(e) {
  const from = e.fromStructure?.name;
  const to = e.toStructure?.name;
  if (from && to && from !== to) return `de ${from} vers ${to}`;
  if (to && !from) return `vers ${to}`;
  return null;
}

// ---- dialogs ----

function setFieldError(form, field, message) {
  const input = form.querySelector(`[data-field="${field}"]`);
  const group = input?.closest(".fr-input-group, .fr-fieldset, .fr-select-group");
  const error = group?.querySelector(".fr-error-text");
  if (!input || !error) return false;
  error.textContent = message ?? "";
  error.hidden = !message;
  group.classList.toggle(group.classList.contains("fr-fieldset") ? "fr-fieldset--error" : "fr-input-group--error", Boolean(message));
  input.setAttribute("aria-invalid", message ? "true" : "false");
  return true;
}

function clearErrors(form) {
  for (const input of form.querySelectorAll("[data-field]")) setFieldError(form, input.dataset.field, null);
  form.querySelector(".form-error")?.replaceChildren();
}

/** Show a typed error of the API: next to its field when it names one, else above the buttons. */
function showError(form, result) {
  const field = result.field?.split(".").pop();
  let message = result.message;
  if (result.__typename === "RateLimitedError") {
    const minutes = Math.max(1, Math.ceil(result.retryAfterSeconds / 60));
    message = `${result.message} (encore ${minutes} min).`;
  }
  if (field && setFieldError(form, field, message)) {
    form.querySelector(`[data-field="${field}"]`).focus();
    return;
  }
  form.querySelector(".form-error").replaceChildren(h("p", { className: "notice notice--error", role: "alert" }, message));
}

function input(id, label, attrs = {}, hint = null) {
  return h("div", { className: "fr-input-group" },
    h("label", { className: "fr-label", for: id }, label, hint ? h("span", { className: "fr-hint-text" }, hint) : null),
    h(attrs.multiline ? "textarea" : "input", { className: "fr-input", id, name: id, "data-field": attrs.field ?? id,
      "aria-describedby": `${id}-error`, type: attrs.multiline ? null : "text", autocomplete: "off",
      ...Object.fromEntries(Object.entries(attrs).filter(([k]) => !["multiline", "field"].includes(k))) }),
    h("p", { className: "fr-error-text", id: `${id}-error`, hidden: true }));
}

function radios(name, legend, options, field) {
  return h("fieldset", { className: "fr-fieldset", "aria-labelledby": `${name}-legend` },
    h("legend", { className: "fr-fieldset__legend", id: `${name}-legend` }, legend),
    options.map(([value, label, extra], i) => h("div", { className: "fr-fieldset__element" },
      h("div", { className: "fr-radio-group" },
        h("input", { type: "radio", id: `${name}-${i}`, name, value, "data-field": i === 0 ? field : null, required: true }),
        h("label", { className: "fr-label", for: `${name}-${i}` }, label, extra ?? null)))),
    h("p", { className: "fr-error-text", hidden: true }));
}

const dialog = () => $("dialog");

function closeDialog() {
  if (dialog().open) dialog().close();
}

/**
 * A confirmation dialog: `run(form)` sends the mutation and returns its DossierResult; success closes it,
 * a typed error shows next to its field, a stale version or a transition someone else made reloads the dossier.
 */
function openDialog({ title, intro, fields = [], confirm, run, after }) {
  const buttons = [
    confirm ? h("li", {}, h("button", { type: "submit", className: "fr-btn", "data-confirm": "" }, confirm)) : null,
    h("li", {}, h("button", { type: "button", className: "fr-btn fr-btn--secondary", onclick: closeDialog },
      confirm ? "Annuler" : "Fermer")),
  ];
  const d = dialog();
  const form = h("form", { novalidate: true },
    h("h2", { className: "fr-h4", id: "dialog-title" }, title),
    intro ? h("p", {}, intro) : null,
    fields,
    h("div", { className: "form-error", "aria-live": "assertive" }),
    h("ul", { className: "fr-btns-group fr-btns-group--inline-md fr-btns-group--right" }, buttons));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const submit = form.querySelector("[data-confirm]");
    submit.disabled = true;
    let result;
    try {
      result = await run(form);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result = { __typename: "Error", message: error.message };
    } finally {
      submit.disabled = false;
    }
    if (!result) return;
    await handleResult(form, result, after);
  });
  d.replaceChildren(form);
  d.showModal();
  return form;
}

async function handleResult(form, result, after) {
  if (result.__typename === "DossierPayload") {
    closeDialog();
    await after(result.dossier);
    return;
  }
  if (result.code === "UNAUTHENTICATED") {
    closeDialog();
    signOut(result.message);
    return;
  }
  if (result.__typename === "ConflictError" && view.dossierId) {
    closeDialog();
    await showDossier(view.dossierId);
    notice(`${result.message} Le dossier a été rechargé : vérifiez-le puis recommencez.`, "error");
    return;
  }
  if (result.__typename === "InvalidTransitionError" && view.dossierId) {
    closeDialog();
    await refresh();
    notice(`${result.message} Le dossier a été rechargé.`, "error");
    return;
  }
  showError(form, result);
}

async function afterAction(message) {
  counts = (await api(Q.counts)).dossierCounts;
  await showDossier(view.dossierId);
  notice(message, "success");
}

function takeDialog(dossier) {
  openDialog({
    title: "J'indique que le.a bénéficiaire est pris.e en charge",
    intro: `Le dossier de ${fullName(dossier.beneficiary)} quitte l'onglet Orientation pour l'onglet Prise en charge.`,
    confirm: "Confirmer la prise en charge",
    run: async () => (await api(Q.take, { id: dossier.id, version: dossier.version })).takeInCharge,
    after: () => afterAction(`${fullName(dossier.beneficiary)} est pris·e en charge : le dossier est dans l'onglet Prise en charge.`),
  });
}

function archiveDialog(dossier) {
  openDialog({
    title: "J'archive le dossier",
    intro: `Le dossier de ${fullName(dossier.beneficiary)} passe dans l'onglet Archives. Pourquoi ?`,
    fields: [
      radios("reason", "Motif", Object.entries(config.archiveReasons), "reason"),
      input("archive-note", "Note (obligatoire pour « Autre motif »)", { multiline: true, field: "note", rows: 3 }),
    ],
    confirm: "Archiver le dossier",
    run: async (form) => {
      const reason = form.querySelector("input[name=reason]:checked")?.value;
      if (!reason) {
        setFieldError(form, "reason", "Choisissez un motif.");
        return null;
      }
      const note = form.elements["archive-note"].value.trim() || null;
      return (await api(Q.archive, { id: dossier.id, reason, note, version: dossier.version })).archiveDossier;
    },
    after: () => afterAction(`Le dossier de ${fullName(dossier.beneficiary)} est archivé.`),
  });
}

function declineDialog(dossier) {
  openDialog({
    title: "Je refuse cette orientation",
    intro: `Le dossier de ${fullName(dossier.beneficiary)} quitte vos orientations et revient à la coordination, qui le réorientera. Pourquoi ?`,
    fields: [
      radios("decline-reason", "Motif du refus", Object.entries(config.declineReasons), "reason"),
      input("decline-note", "Note pour la coordination (obligatoire pour « Autre motif »)", { multiline: true, field: "note", rows: 3 }),
    ],
    confirm: "Refuser l'orientation",
    run: async (form) => {
      const reason = form.querySelector("input[name=decline-reason]:checked")?.value;
      if (!reason) {
        setFieldError(form, "reason", "Choisissez un motif.");
        return null;
      }
      const note = form.elements["decline-note"].value.trim() || null;
      return (await api(Q.decline, { id: dossier.id, reason, note, version: dossier.version })).declineDossier;
    },
    after: async () => {
      counts = (await api(Q.counts)).dossierCounts;
      view.dossierId = null;
      view.tab = "ORIENTED";
      writeHash();
      await refresh();
      notice(`Le dossier de ${fullName(dossier.beneficiary)} est renvoyé à la coordination.`, "success");
    },
  });
}

async function reorientDialog(dossier) {
  let suggestions = [];
  let failure = null;
  let radius;
  try {
    // Near first; when no member covers the needs nearby, look as far as the API allows.
    for (radius of SUGGESTION_RADII) {
      suggestions = (await api(Q.suggestions, { id: dossier.id, radius })).reorientationSuggestions;
      if (suggestions.length) break;
    }
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    failure = error.message;
  }
  const mapBox = h("div", { className: "mini-map", id: "reorient-map", role: "region",
    "aria-label": "Carte des structures suggérées" });
  const options = suggestions.map((s) => [
    s.structure.id,
    `${s.structure.name} — ${s.structure.address.city} (${km(s.distanceKm)})`,
    h("ul", { className: "fr-hint-text" }, s.reasons.map((r) => h("li", {}, r))),
  ]);
  const form = openDialog({
    title: "Je le.a réoriente vers une autre structure opératrice",
    intro: failure ?? (suggestions.length
      ? `Structures membres à moins de ${radius} km, les plus adaptées aux besoins de ${fullName(dossier.beneficiary)} d'abord. Prenez contact avec la structure choisie, puis réorientez-lui le dossier.`
      : `Aucune structure membre ne propose ces services à moins de ${radius} km. Consultez la cartographie publique.`),
    fields: suggestions.length ? [
      mapBox,
      radios("to", "Structure vers laquelle réorienter", options, "toStructureId"),
      input("reorient-note", "Note pour la structure (facultatif)", { multiline: true, field: "note", rows: 3 }),
    ] : [],
    confirm: suggestions.length ? "Réorienter" : null,
    run: async (f) => {
      const to = f.querySelector("input[name=to]:checked")?.value;
      if (!to) {
        if (!setFieldError(f, "toStructureId", "Choisissez une structure.")) showError(f, { message: "Aucune structure à choisir." });
        return null;
      }
      const note = f.elements["reorient-note"].value.trim() || null;
      return (await api(Q.reorient, { id: dossier.id, to, note, version: dossier.version })).reorientDossier;
    },
    after: async (updated) => {
      counts = (await api(Q.counts)).dossierCounts;
      const message = `Le dossier de ${fullName(dossier.beneficiary)} est réorienté vers ${updated.structure.name}.`;
      if (me.role === "COORDINATOR") {
        await showDossier(dossier.id);
      } else {
        view.dossierId = null;
        view.tab = "ORIENTED";
        writeHash();
        await refresh();
      }
      notice(message, "success");
    },
  });
  const located = suggestions.filter((s) => s.structure.location);
  if (located.length) {
    const map = baseMap(mapBox, config, { scrollWheelZoom: false });
    const bounds = [];
    located.forEach((s, i) => {
      const at = [s.structure.location.latitude, s.structure.location.longitude];
      bounds.push(at);
      pin(at, s.structure.name, true).on("click keypress", () => {
        const radio = form.querySelector(`#to-${suggestions.indexOf(s)}`);
        radio.checked = true;
        radio.focus();
      }).addTo(map);
      void i;
    });
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 13 });
  }
}

// ---- + Bénéficiaire and orientation ----

function showClaimForm() {
  ticket();
  const form = h("form", { novalidate: true, id: "claim-form" },
    h("p", {}, "Le.a bénéficiaire dispose d'un carnet mais n'apparaît pas dans vos orientations : indiquez son NOM et son N° CARNET pour récupérer son dossier."),
    input("claim-name", "NOM du/de la bénéficiaire", { field: "beneficiaryLastName", autocomplete: "off" }),
    input("claim-carnet", "N° CARNET", { field: "carnetNumber" }, `sous la forme : ${config.carnetExample}`),
    h("div", { className: "form-error", "aria-live": "assertive" }),
    h("button", { className: "fr-btn", type: "submit" }, "Réorienter"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const name = form.elements["claim-name"].value.trim();
    const carnet = form.elements["claim-carnet"].value.trim();
    if (!name) setFieldError(form, "beneficiaryLastName", "Indiquez le nom du/de la bénéficiaire.");
    if (!carnet) setFieldError(form, "carnetNumber", `Indiquez le N° de carnet, sous la forme : ${config.carnetExample}.`);
    if (!name || !carnet) return;
    let result;
    try {
      result = (await api(Q.claim, { name, carnet })).claimDossier;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result = { message: error.message };
    }
    if (result.__typename === "DossierPayload") {
      const who = fullName(result.dossier.beneficiary);
      counts = (await api(Q.counts)).dossierCounts;
      await openDossier(result.dossier.id);
      notice(`Le dossier de ${who} est récupéré : il est dans votre onglet Orientation. Indiquez maintenant que vous l'avez pris·e en charge.`, "success");
      return;
    }
    if (result.code === "UNAUTHENTICATED") signOut(result.message);
    else showError(form, result);
  });
  fill($("panel"), h("h3", { className: "fr-h5" }, "Je récupère son dossier"), form);
}

async function showOrientForm() {
  const mine = ticket();
  let members = [];
  try {
    members = (await api(Q.members)).structures.edges.map((e) => e.node);
    if (superseded(mine)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    notice(error.message, "error");
  }
  const form = h("form", { novalidate: true, id: "orient-form" },
    input("orient-carnet", "N° CARNET", { field: "carnetNumber" }, `sous la forme : ${config.carnetExample}`),
    input("orient-last", "NOM", { field: "lastName" }),
    input("orient-first", "Prénom (facultatif)", { field: "firstName" }),
    input("orient-commune", "Code INSEE de la commune (facultatif)", { field: "communeCode", inputmode: "numeric" }, "par exemple : 16015 pour Angoulême"),
    h("fieldset", { className: "fr-fieldset", "aria-labelledby": "orient-needs-legend" },
      h("legend", { className: "fr-fieldset__legend", id: "orient-needs-legend" }, "Besoins"),
      Object.entries(config.services).map(([kind, label], i) => h("div", { className: "fr-fieldset__element" },
        h("div", { className: "fr-checkbox-group" },
          h("input", { type: "checkbox", id: `need-${i}`, name: "needs", value: kind, "data-field": i === 0 ? "needs" : null }),
          h("label", { className: "fr-label", for: `need-${i}` }, label)))),
      h("p", { className: "fr-error-text", hidden: true })),
    h("div", { className: "fr-select-group" },
      h("label", { className: "fr-label", for: "orient-to" }, "Structure opératrice"),
      h("select", { className: "fr-select", id: "orient-to", name: "orient-to", "data-field": "toStructureId",
        "aria-describedby": "orient-to-error" },
      h("option", { value: "" }, "Choisissez une structure"),
      members.map((m) => h("option", { value: m.id }, `${m.name} (${m.address.city})`))),
      h("p", { className: "fr-error-text", id: "orient-to-error", hidden: true })),
    input("orient-note", "Note pour la structure (facultatif)", { multiline: true, field: "note", rows: 3 }),
    h("div", { className: "form-error", "aria-live": "assertive" }),
    h("button", { className: "fr-btn", type: "submit" }, "Orienter"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const el = form.elements;
    const value = (name) => el[name].value.trim() || null;
    if (!value("orient-to")) {
      setFieldError(form, "toStructureId", "Choisissez la structure vers laquelle orienter.");
      return;
    }
    const input_ = {
      carnetNumber: value("orient-carnet") ?? "", lastName: value("orient-last") ?? "", firstName: value("orient-first"),
      communeCode: value("orient-commune"), toStructureId: value("orient-to"), note: value("orient-note"),
      needs: [...form.querySelectorAll("input[name=needs]:checked")].map((i) => i.value),
    };
    let result;
    try {
      result = (await api(Q.orient, { input: input_ })).orientBeneficiary;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result = { message: error.message };
    }
    if (result.__typename === "DossierPayload") {
      counts = (await api(Q.counts)).dossierCounts;
      await openDossier(result.dossier.id);
      notice(`${fullName(result.dossier.beneficiary)} est orienté·e vers ${result.dossier.structure.name}.`, "success");
      return;
    }
    showError(form, result);
  });
  fill($("panel"), h("h3", { className: "fr-h5" }, "Orienter un·e bénéficiaire"), form);
}

// ---- statistics (coordinators) ----

const PERIODS = { 30: "30 derniers jours", 90: "3 derniers mois", 365: "12 derniers mois" };
const STAT_COLUMNS = [
  ["oriented", "Orientés"], ["takenInCharge", "Pris en charge"], ["reorientedAway", "Réorientés ailleurs"],
  ["archived", "Archivés"], ["declined", "Refusés"], ["expired", "Sans réponse"], ["waitingNow", "En attente"],
  ["medianDaysToTakeInCharge", "Délai médian (jours)"],
];
const decimal = (v) => (v === null || v === undefined ? "—" : v.toLocaleString("fr-FR", { maximumFractionDigits: 1 }));

/** Horizontal bars in SVG (no library): one per reason, its count written beside it. */
function bars(title, rows, labels) {
  if (!rows.length) return h("p", {}, `${title} : aucun sur la période.`);
  const max = Math.max(...rows.map((r) => r.count));
  const svgNS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNS, "svg");
  const rowHeight = 44; // a label line, then its bar
  svg.setAttribute("viewBox", `0 0 600 ${rows.length * rowHeight}`);
  svg.setAttribute("class", "bars");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title} : ${rows.map((r) => `${labels[r.reason] ?? r.reason} ${r.count}`).join(", ")}`);
  rows.forEach((r, i) => {
    const y = i * rowHeight;
    const width = Math.max(2, (520 * r.count) / max);
    const label = document.createElementNS(svgNS, "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + 15));
    label.textContent = labels[r.reason] ?? r.reason;
    const bar = document.createElementNS(svgNS, "rect");
    bar.setAttribute("x", "0");
    bar.setAttribute("y", String(y + 22));
    bar.setAttribute("height", "14");
    bar.setAttribute("width", String(width));
    bar.setAttribute("class", "bars__bar");
    const value = document.createElementNS(svgNS, "text");
    value.setAttribute("x", String(width + 6));
    value.setAttribute("y", String(y + 34));
    value.textContent = String(r.count);
    svg.append(label, bar, value);
  });
  return h("figure", { className: "fr-my-2w" }, h("figcaption", { className: "fr-text--bold" }, title), svg);
}

function csvOf(rows) {
  const cell = (v) => `"${String(v ?? "").replaceAll('"', '""')}"`;
  const header = ["Structure", ...STAT_COLUMNS.map(([, label]) => label)];
  const lines = rows.map((r) => [r.structure.name, ...STAT_COLUMNS.map(([key]) => r[key] ?? "")]);
  return [header, ...lines].map((line) => line.map(cell).join(";")).join("\r\n");
}

async function showStatistics(days = 30) {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86_400_000);
  const mine = ticket();
  let stats;
  try {
    stats = (await api(Q.statistics, { from: from.toISOString(), to: to.toISOString() })).statistics;
    if (superseded(mine)) return;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    fill($("panel"), h("p", { className: "notice notice--error" }, error.message));
    return;
  }
  const period = h("select", { className: "fr-select", id: "period", onchange: (e) => showStatistics(Number(e.target.value)) },
    Object.entries(PERIODS).map(([value, label]) => h("option", { value, selected: Number(value) === days }, label)));
  const csv = new Blob(["\ufeff" + csvOf(stats.byStructure)], { type: "text/csv;charset=utf-8" });
  const totals = [
    ["Orientés", stats.oriented], ["Pris en charge", stats.takenInCharge], ["Réorientés", stats.reoriented],
    ["Archivés", stats.archived], ["Refusés", stats.declined], ["Sans réponse", stats.expired],
    ["Récupérés", stats.claimed], ["Délai médian de prise en charge (jours)", decimal(stats.medianDaysToTakeInCharge)],
  ];
  fill($("panel"),
    h("h3", { className: "fr-h5" }, "Statistiques du réseau"),
    h("div", { className: "fr-select-group period" }, h("label", { className: "fr-label", for: "period" }, "Période"), period),
    h("ul", { className: "stat-totals" }, totals.map(([label, value]) => h("li", {}, h("strong", {}, String(value)), h("br"), label))),
    bars("Motifs d'archivage", stats.archiveReasons, config.archiveReasons),
    bars("Motifs de refus", stats.declineReasons, config.declineReasons),
    h("div", { className: "table-wrap" },
      h("table", { className: "dossiers" },
        h("caption", {}, `Par structure, ${PERIODS[days]}`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Structure"), STAT_COLUMNS.map(([, label]) => h("th", { scope: "col" }, label)))),
        h("tbody", {}, stats.byStructure.map((r) => h("tr", {},
          h("th", { scope: "row" }, r.structure.name),
          STAT_COLUMNS.map(([key]) => h("td", {}, key === "medianDaysToTakeInCharge" ? decimal(r[key]) : String(r[key])))))))),
    h("p", { className: "fr-mt-2w" },
      h("a", { className: "fr-link fr-link--download", href: URL.createObjectURL(csv), download: `statistiques-${days}-jours.csv` },
        "Télécharger le tableau (CSV)")),
  );
}

// ---- start ----

async function start() {
  config = await loadConfig();
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", () => signOut(null));
  if (token()) await enter();
  else showSignIn(null);
}

start();
