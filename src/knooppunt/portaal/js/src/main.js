// The portal's key page (DESIGN §5 "Portal"): make keys in the browser, have their certificates
// issued, keep them wrapped on the server, unlock them after login, and open received messages —
// all in this one page's memory. No innerHTML anywhere: everything shown is set as text
// (require-trusted-types-for 'script' would refuse the rest). No IndexedDB, no web storage.

import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import { calculateJwkThumbprint, CompactSign } from "jose";
import * as x509 from "@peculiar/x509";
import {
  KDF,
  VerkeerdWachtwoord,
  nieuwGeheim as nieuwOrganisatiegeheim,
  b64url,
  importeer,
  leidAf,
  nieuwWachtwoord,
  normaliseer,
  ontb64url,
  pakUit,
  verpak,
} from "./kluis.js";
import { Onbetrouwbaar, open } from "./openen.js";
import "./uploaden.js";
import "./opstellen.js";
import {
  $,
  api,
  cel,
  certificatenVan,
  geheugen,
  instellingen,
  meldOntgrendeld,
  melding,
  startOnderdelen,
  status,
  tijdstip,
} from "./werkplek.js";

x509.cryptoProvider.set(crypto);

function toon(stap) {
  for (const id of ["stap-aanmaken", "stap-wachtwoord", "stap-ontgrendelen", "stap-werk"]) {
    $(id).hidden = id !== stap;
  }
}

function pem(der, label) {
  const b64 = b64url(der).replace(/-/g, "+").replace(/_/g, "/");
  const opgevuld = b64 + "===".slice((b64.length + 3) % 4);
  return `-----BEGIN ${label}-----\n${opgevuld.match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;
}

// --- making keys -----------------------------------------------------------------------------------

let nieuwGeheim = null; // the passphrase shown once, until the keys are made
let vervangen = false;

function begin(vervang) {
  vervangen = vervang;
  nieuwGeheim = nieuwWachtwoord();
  $("wachtwoord-nieuw").textContent = nieuwGeheim;
  $("opgeschreven").checked = false;
  melding("");
  toon("stap-wachtwoord");
  $("wachtwoord-kop").focus();
}

async function maakSleutels() {
  if (!$("opgeschreven").checked) {
    melding("Vink eerst aan dat u het wachtwoord hebt opgeschreven. U ziet het maar één keer.");
    return;
  }
  const knop = $("maak-sleutels");
  knop.disabled = true;
  melding("");
  status("Sleutels worden gemaakt… (dit duurt enkele seconden)");
  try {
    // Extractable only until they are wrapped below; then imported again as non-extractable.
    const teken = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
    const ecdh = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const tekenJwk = await crypto.subtle.exportKey("jwk", teken.publicKey);
    const ecdhJwk = await crypto.subtle.exportKey("jwk", ecdh.publicKey);
    const publiek = (jwk) => ({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y });
    const tekenJkt = await calculateJwkThumbprint(publiek(tekenJwk));
    const ecdhJkt = await calculateJwkThumbprint(publiek(ecdhJwk));

    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: `CN=${instellingen.oin}`,
      keys: teken,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    });
    const csrDer = new Uint8Array(csr.rawData);
    // Indirect proof of possession of the ECDH key: signed by the signing key whose CSR this is.
    const bewijs = await new CompactSign(
      new TextEncoder().encode(
        JSON.stringify({
          doel: "knooppunt-portaal-sleutels",
          oin: instellingen.oin,
          csr: b64url(await crypto.subtle.digest("SHA-256", csrDer)),
          versleuteling: publiek(ecdhJwk),
          iat: Math.floor(Date.now() / 1000),
        }),
      ),
    )
      .setProtectedHeader({ alg: "ES256", typ: "knooppunt-sleutelbewijs" })
      .sign(teken.privateKey);

    const nummergeheim = await nieuwOrganisatiegeheim("nummergeheim");
    const labelsleutel = await nieuwOrganisatiegeheim("labelsleutel");
    const zout = crypto.getRandomValues(new Uint8Array(16));
    const wikkel = await leidAf(nieuwGeheim, zout);
    const blob = {
      versie: 1,
      kdf: { ...KDF, zout: b64url(zout) },
      sleutels: [
        await verpak(wikkel, teken.privateKey, "ondertekening", tekenJkt),
        await verpak(wikkel, ecdh.privateKey, "versleuteling", ecdhJkt),
        await verpak(wikkel, nummergeheim.sleutel, "nummergeheim", nummergeheim.id),
        await verpak(wikkel, labelsleutel.sleutel, "labelsleutel", labelsleutel.id),
      ],
    };
    // Held from here on only as non-extractable keys.
    const tekenPrive = await importeer(new Uint8Array(await crypto.subtle.exportKey("pkcs8", teken.privateKey)), "ondertekening");
    const ecdhPrive = await importeer(new Uint8Array(await crypto.subtle.exportKey("pkcs8", ecdh.privateKey)), "versleuteling");
    const geheimen = [
      ["nummergeheim", nummergeheim.id, await importeer(new Uint8Array(await crypto.subtle.exportKey("raw", nummergeheim.sleutel)), "nummergeheim")],
      ["labelsleutel", labelsleutel.id, await importeer(new Uint8Array(await crypto.subtle.exportKey("raw", labelsleutel.sleutel)), "labelsleutel")],
    ];

    const antwoord = await api("/aanvraag", {
      methode: "POST",
      body: { csr: pem(csrDer, "CERTIFICATE REQUEST"), versleuteling: publiek(ecdhJwk), bewijs, blob, vervang: vervangen },
    });
    for (const soort of ["versleuteling", "ondertekening", "nummergeheim", "labelsleutel"]) geheugen[soort].clear();
    for (const [soort, id, sleutel] of geheimen) geheugen[soort].set(id, sleutel);
    for (const c of antwoord.certificaten) {
      if (c.gebruik === "versleuteling") geheugen.versleuteling.set(c.kid, ecdhPrive);
      if (c.gebruik === "ondertekening") geheugen.ondertekening.set(c.kid, tekenPrive);
    }
    nieuwGeheim = null;
    $("wachtwoord-nieuw").textContent = "";
    instellingen.heeftSleutels = true;
    status("Uw sleutels zijn gemaakt en uw certificaten zijn uitgegeven. U kunt nu berichten openen.");
    toon("stap-werk");
    meldOntgrendeld();
  } catch (fout) {
    status("");
    melding(`De sleutels konden niet worden gemaakt: ${fout.message}. Er is niets opgeslagen; probeer het opnieuw.`);
  } finally {
    knop.disabled = false;
  }
}

// --- unlocking ---------------------------------------------------------------------------------------

async function ontgrendel(gebeurtenis) {
  gebeurtenis.preventDefault();
  const invoer = $("wachtwoord-invoer");
  const wachtwoord = normaliseer(invoer.value);
  if (wachtwoord === null) {
    melding("Dit is geen wachtwoord van dit portaal: het bestaat uit 16 letters en cijfers in vier groepen van vier (bijvoorbeeld ABCD-EFGH-JKMN-PQRS).");
    return;
  }
  const knop = $("ontgrendel-knop");
  knop.disabled = true;
  melding("");
  status("Sleutels worden ontgrendeld… (dit duurt enkele seconden)");
  try {
    const { blob } = await api("/blob");
    const wikkel = await leidAf(wachtwoord, ontb64url(blob.kdf.zout), blob.kdf);
    const uitgepakt = [];
    for (const item of blob.sleutels) uitgepakt.push([item, await pakUit(wikkel, item)]);
    for (const soort of ["versleuteling", "ondertekening", "nummergeheim", "labelsleutel"]) geheugen[soort].clear();
    for (const [item, sleutel] of uitgepakt) geheugen[item.gebruik].set(item.kid, sleutel);
    invoer.value = "";
    status("Uw sleutels zijn ontgrendeld. Ze blijven alleen in deze pagina; na herladen vraagt het portaal opnieuw om uw wachtwoord.");
    toon("stap-werk");
    meldOntgrendeld();
  } catch (fout) {
    status("");
    if (fout instanceof VerkeerdWachtwoord) {
      melding("Het wachtwoord klopt niet. Controleer wat u hebt opgeschreven en probeer het opnieuw; er is niets veranderd.");
    } else {
      melding(`De sleutels konden niet worden ontgrendeld: ${fout.message}`);
    }
  } finally {
    knop.disabled = false;
  }
}

// --- messages -----------------------------------------------------------------------------------------

async function haalBerichten() {
  melding("");
  status("Berichten worden opgehaald…");
  try {
    const r = await api("/berichten", { methode: "POST", body: {} });
    const lijst = $("berichten-lijst");
    lijst.replaceChildren();
    geheugen.berichten.clear();
    for (const env of r.berichten) {
      geheugen.berichten.set(env.referentienummer, env);
      const rij = document.createElement("tr");
      cel(rij, env.berichttypeNaam || env.berichttype);
      cel(rij, env.afzenderNaam || env.afzender);
      cel(rij, tijdstip(env.ontvangenOp));
      const knopcel = cel(rij, "");
      const knop = document.createElement("button");
      knop.type = "button";
      knop.className = "knop";
      knop.textContent = "Openen";
      knop.dataset.referentienummer = env.referentienummer;
      knop.addEventListener("click", () => openBericht(env.referentienummer));
      knopcel.appendChild(knop);
      lijst.appendChild(rij);
    }
    $("berichten-tabel").hidden = r.berichten.length === 0;
    status(r.berichten.length === 0 ? "Er zijn geen open berichten." : `${r.berichten.length} open bericht${r.berichten.length === 1 ? "" : "en"}.`);
  } catch (fout) {
    status("");
    melding(`De berichten konden niet worden opgehaald: ${fout.message}`);
  }
}

async function openBericht(referentienummer) {
  const env = geheugen.berichten.get(referentienummer);
  const vak = $("bericht-inhoud");
  const kop = $("bericht-kop");
  vak.textContent = "";
  melding("");
  kop.textContent = `Bericht ${referentienummer}`;
  $("bericht").hidden = false;
  try {
    if (env.melding) {
      vak.textContent = JSON.stringify(env.melding, null, 2);
    } else {
      const { payload } = await open(env, geheugen.versleuteling, certificatenVan);
      let tekst = payload;
      try {
        tekst = JSON.stringify(JSON.parse(payload), null, 2);
      } catch {
        // not JSON: shown as it is, as text
      }
      vak.textContent = tekst; // text, never HTML (DESIGN §5)
    }
    status("Het bericht is ontsleuteld en de handtekening van de afzender klopt.");
  } catch (fout) {
    status("");
    const reden = fout instanceof Onbetrouwbaar ? ` (${fout.reden})` : "";
    melding(`Dit bericht kan niet worden vertrouwd en wordt niet getoond${reden}: ${fout.message}.`);
    $("bericht").hidden = true;
  }
}

// --- start --------------------------------------------------------------------------------------------

function start() {
  const wortel = $("sleutels");
  if (!wortel) return;
  Object.assign(instellingen, {
    api: wortel.dataset.api,
    csrf: wortel.dataset.csrf,
    oin: wortel.dataset.oin,
    heeftSleutels: wortel.dataset.heeftSleutels === "ja",
  });
  $("sleutels-geen-js").hidden = true;
  $("begin-aanmaken").addEventListener("click", () => begin(false));
  $("begin-opnieuw").addEventListener("click", () => {
    $("opnieuw-uitleg").hidden = false;
    $("bevestig-opnieuw").hidden = false;
  });
  $("bevestig-opnieuw").addEventListener("click", () => begin(true));
  $("maak-sleutels").addEventListener("click", maakSleutels);
  $("ontgrendel-formulier").addEventListener("submit", ontgrendel);
  $("haal-berichten").addEventListener("click", haalBerichten);
  startOnderdelen();
  toon(instellingen.heeftSleutels ? "stap-ontgrendelen" : "stap-aanmaken");
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
