// What the werkplek page's parts share (DESIGN §5 "Portal"): the keys and data this one page holds
// in memory after unlocking, the portal's JSON endpoints (with the session's CSRF token), the
// page's message and status lines, and the parts themselves. A part (downloading, uploading,
// composing, …) is a module that calls `onderdeel(...)` when it is imported by main.js; main.js
// starts every part when the page loads and tells them when the keys are unlocked.

export const $ = (id) => document.getElementById(id);

// What this page holds in memory after unlocking: the non-extractable keys, by kid.
export const geheugen = {
  versleuteling: new Map(), // kid → ECDH or RSA-OAEP CryptoKey (the organisation's decryption keys)
  ondertekening: new Map(), // kid → ECDSA or RSA-PSS CryptoKey (the organisation's signing keys)
  nummergeheim: new Map(), // id → HMAC-SHA-256 CryptoKey (numbers answers: DESIGN §7), newest last
  labelsleutel: new Map(), // id → AES-GCM CryptoKey (client names and labels), newest last
  berichten: new Map(), // referentienummer → envelope
  certificaten: new Map(), // "oin moment" → [pem]
};

// The organisation's newest secret of a kind ("nummergeheim" or "labelsleutel") and its id; null
// when the keys are locked or were made before the portal kept that secret.
export function geheim(soort) {
  let laatste = null;
  for (const [id, sleutel] of geheugen[soort]) laatste = { id, sleutel };
  return laatste;
}

// Filled by main.js from the page's data attributes: api (the JSON endpoints' base path), csrf,
// oin (the participant), heeftSleutels.
export const instellingen = { api: "", csrf: "", oin: "", heeftSleutels: false };

export function melding(tekst) {
  const el = $("sleutels-fout");
  el.textContent = tekst;
  el.hidden = !tekst;
  if (tekst) el.focus();
}

export function status(tekst) {
  $("sleutels-status").textContent = tekst;
}

export class ApiFout extends Error {
  constructor(status, detail, gegevens) {
    super(detail);
    this.status = status;
    this.gegevens = gegevens;
  }
}

// A JSON endpoint of the page (path relative to instellingen.api, "/portaal/sleutels/api": "/blob").
export async function api(pad, { methode = "GET", body } = {}) {
  const antwoord = await fetch(instellingen.api + pad, {
    method: methode,
    credentials: "same-origin",
    cache: "no-store",
    headers: {
      Accept: "application/json",
      "X-CSRF-Token": instellingen.csrf,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let gegevens = null;
  try {
    gegevens = await antwoord.json();
  } catch {
    gegevens = null;
  }
  if (!antwoord.ok) {
    const uitleg = gegevens && typeof gegevens.detail === "string" ? gegevens.detail : `fout ${antwoord.status}`;
    throw new ApiFout(antwoord.status, uitleg, gegevens);
  }
  return gegevens;
}

// A sender's signing certificates (PEM) valid at `moment` (a message's ontvangenOp), cached.
export async function certificatenVan(oin, moment) {
  const sleutel = `${oin} ${moment}`;
  if (!geheugen.certificaten.has(sleutel)) {
    const r = await api(`/certificaten?oin=${encodeURIComponent(oin)}&moment=${encodeURIComponent(moment)}`);
    geheugen.certificaten.set(sleutel, r.certificaten.map((c) => c.pem));
  }
  return geheugen.certificaten.get(sleutel);
}

// Dutch singular or plural (weergave.meervoud): meervoud(1, "rij", "rijen") is "1 rij", 2 gives
// "2 rijen"; a form with {n} places the number itself.
export function meervoud(aantal, enkelvoud, meervoudsvorm) {
  const vorm = aantal === 1 ? enkelvoud : meervoudsvorm;
  return vorm.includes("{n}") ? vorm.replace("{n}", String(aantal)) : `${aantal} ${vorm}`;
}

// A certificate's age in whole days, as a person says it: "minder dan een dag oud", "1 dag oud",
// "3 dagen oud" (GET …/verzenden/ontvanger gives leeftijdDagen as a fraction).
export function leeftijd(dagen) {
  const heel = Math.floor(Number(dagen));
  if (!Number.isFinite(heel) || heel < 1) return "minder dan een dag oud";
  return `${meervoud(heel, "dag", "dagen")} oud`;
}

export function tijdstip(iso) {
  const moment = new Date(iso);
  if (Number.isNaN(moment.getTime())) return String(iso);
  return moment.toLocaleString("nl-NL", { timeZone: "Europe/Amsterdam", dateStyle: "long", timeStyle: "short" });
}

// Show or hide a table the page fills, with its scroll region (.tabel-rol: focusable and labelled, so
// that a wide table scrolls by keyboard — WCAG 2.1.1); hidden together, so that an empty region is
// never a tab stop.
export function toonTabel(id, zichtbaar) {
  const tabel = $(id);
  tabel.hidden = !zichtbaar;
  const rol = tabel.closest(".tabel-rol");
  if (rol) rol.hidden = !zichtbaar;
}

export function cel(rij, tekst) {
  const td = document.createElement("td");
  td.textContent = tekst; // text, never HTML (DESIGN §5)
  rij.appendChild(td);
  return td;
}

// --- parts ----------------------------------------------------------------------------------------

const onderdelen = [];

// Register a part: start() runs when the page loads (wire up buttons; the keys are still locked),
// ontgrendeld() every time the keys have been unlocked or made.
export function onderdeel(naam, { start = () => {}, ontgrendeld = () => {} } = {}) {
  onderdelen.push({ naam, start, ontgrendeld });
}

export function startOnderdelen() {
  for (const o of onderdelen) o.start();
}

export function meldOntgrendeld() {
  for (const o of onderdelen) {
    try {
      o.ontgrendeld();
    } catch (fout) {
      melding(`${o.naam}: ${fout.message}`);
    }
  }
}
