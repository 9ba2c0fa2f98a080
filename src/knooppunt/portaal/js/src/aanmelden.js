// The aanmeldformulier (DESIGN §5 "Portal", #14 item 5): the applicant's browser makes the
// organisation's keys and the user's personal key exactly as the key page does (main.js, kluis.js),
// shows the generated passphrase once, wraps everything under Argon2id in the browser and sends the
// certificate request, the encryption key with its proof of possession and the wrapped blob with the
// application, in the hidden field `browsersleutels`. The passphrase and the private keys never leave
// this page. Active only on that page (#browsersleutels); without JavaScript the form keeps its
// fields for pasted certificate requests.

import { KDF, b64url, leidAf, nieuwWachtwoord, nieuwePersoonlijkeSleutel } from "./kluis.js";
import { nieuweOrganisatiesleutels, persoonlijkDeel, wikkelAlles, wis } from "./main.js";

const $ = (id) => document.getElementById(id);
const OIN = /^\d{20}$/;

let wachtwoord = null; // shown once; in this page's memory only until the keys are wrapped
let verstuurd = false;

function melding(tekst) {
  const vak = $("browsersleutels-fout");
  vak.textContent = tekst;
  vak.hidden = !tekst;
  if (tekst) vak.focus();
}

function status(tekst) {
  $("browsersleutels-status").textContent = tekst;
}

function begin() {
  wachtwoord = nieuwWachtwoord();
  $("browsersleutels-nieuw").textContent = wachtwoord;
  $("browsersleutels-opgeschreven").checked = false;
  $("browsersleutels-wachtwoord").hidden = false;
  $("browsersleutels-begin").textContent = "Ander wachtwoord maken";
  melding("");
  status("");
  $("browsersleutels-uitleg").focus();
}

/** The organisation's keys for `oin`, wrapped to a new personal key under the passphrase: the
 * request as the key page sends it to /aanvraag (csr, versleuteling, bewijs, blob). */
async function maakSleutels(oin) {
  let items = [];
  try {
    const persoon = await nieuwePersoonlijkeSleutel();
    const zout = crypto.getRandomValues(new Uint8Array(16));
    const wikkel = await leidAf(wachtwoord, zout);
    const persoonlijk = await persoonlijkDeel(wikkel, persoon);
    const nieuw = await nieuweOrganisatiesleutels(oin);
    items = nieuw.items;
    const blob = { versie: 2, kdf: { ...KDF, zout: b64url(zout) }, persoonlijk, sleutels: await wikkelAlles(persoon.jwk, items, oin) };
    return { ...nieuw.aanvraag, blob };
  } finally {
    wis(items);
  }
}

async function verstuur(gebeurtenis) {
  if (verstuurd) return; // the keys are in the form: let it go
  gebeurtenis.preventDefault();
  const formulier = gebeurtenis.target;
  const oin = $("oin").value.trim();
  if (!wachtwoord) {
    melding("Maak eerst het wachtwoord voor de sleutels van uw organisatie: klik op 'Wachtwoord voor de sleutels maken' en schrijf het op.");
    return;
  }
  if (!$("browsersleutels-opgeschreven").checked) {
    melding("Vink eerst aan dat u het wachtwoord hebt opgeschreven. U ziet het maar één keer, en u hebt het na de goedkeuring nodig.");
    return;
  }
  if (!OIN.test(oin)) {
    melding("Vul eerst het OIN van uw organisatie in (20 cijfers): de sleutels worden voor dat OIN gemaakt.");
    return;
  }
  const knoppen = formulier.querySelectorAll("button");
  for (const knop of knoppen) knop.disabled = true;
  melding("");
  status("Sleutels worden gemaakt en versleuteld… (dit duurt enkele seconden)");
  try {
    $("browsersleutels-waarde").value = JSON.stringify(await maakSleutels(oin));
  } catch (fout) {
    status("");
    melding(`De sleutels konden niet worden gemaakt: ${fout.message}. Er is niets verstuurd; probeer het opnieuw.`);
    for (const knop of knoppen) knop.disabled = false;
    return;
  }
  wachtwoord = null;
  $("browsersleutels-nieuw").textContent = "";
  status("De sleutels zijn gemaakt. De aanmelding wordt verstuurd…");
  verstuurd = true;
  formulier.submit();
}

function start() {
  const wortel = $("browsersleutels");
  if (!wortel) return;
  wortel.hidden = false;
  $("sleutels-plakken").hidden = true;
  // Pasted requests are not sent beside the keys made here.
  for (const id of ["csrOndertekening", "csrVersleuteling"]) $(id).value = "";
  $("browsersleutels-waarde").value = "";
  $("browsersleutels-begin").addEventListener("click", begin);
  $("aanmeldformulier").addEventListener("submit", verstuur);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
