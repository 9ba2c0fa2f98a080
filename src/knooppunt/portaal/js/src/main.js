// The portal's key page (DESIGN §5 "Portal"): make keys in the browser, have their certificates
// issued, keep them wrapped on the server, unlock them after login, and open received messages —
// all in this one page's memory. No innerHTML anywhere: everything shown is set as text
// (require-trusted-types-for 'script' would refuse the rest). No IndexedDB, no web storage.

import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata API
import { calculateJwkThumbprint, CompactSign } from "jose";
import * as x509 from "@peculiar/x509";
import { CryptoEngine, PFX, setEngine } from "pkijs";
import {
  KDF,
  VerkeerdWachtwoord,
  nieuwGeheim as nieuwOrganisatiegeheim,
  b64url,
  bytesVan,
  importeer,
  leidAf,
  nieuwWachtwoord,
  nieuwePersoonlijkeSleutel,
  normaliseer,
  ontb64url,
  pakOrganisatiesleutelUit,
  pakUit,
  pakUitRuw,
  pkcs1NaarPkcs8,
  publiekeJwk,
  RSA_MAX_BITS,
  RSA_MIN_BITS,
  sleutelsoort,
  verpak,
  wikkelVoor,
} from "./kluis.js";
import { Onbetrouwbaar, open } from "./openen.js";
import "./uploaden.js";
import { toonAntwoordknop } from "./opstellen.js";
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
  toonTabel,
} from "./werkplek.js";
import { bijNamen, clientnaam, noemUitBerichten } from "./clienten.js";
import { controleer as controleerBericht, oudeSleutelLink } from "./downloaden.js";
import { laadIndeling, typenaam } from "./indeling.js";
import { toonLeesbaar } from "./leesbaar.js";
import "./aanmelden.js";

x509.cryptoProvider.set(crypto);
setEngine("werkplek", new CryptoEngine({ name: "werkplek", crypto, subtle: crypto.subtle }));

function toon(stap) {
  for (const id of ["stap-aanmaken", "stap-organisatie", "stap-wachtwoord", "stap-ontgrendelen", "stap-wachten", "stap-werk"]) {
    $(id).hidden = id !== stap;
  }
}

function pem(der, label) {
  const b64 = b64url(der).replace(/-/g, "+").replace(/_/g, "/");
  const opgevuld = b64 + "===".slice((b64.length + 3) % 4);
  return `-----BEGIN ${label}-----\n${opgevuld.match(/.{1,64}/g).join("\n")}\n-----END ${label}-----\n`;
}

// --- making keys -----------------------------------------------------------------------------------
//
// Blob version 2 (decision 0027): the keys are the organisation's. The first user makes them; each
// user has a personal ECDH key, wrapped under Argon2id of their own passphrase, and every
// organisation key is wrapped to that personal public key (kluis.js wikkelVoor). A colleague asks
// for access with only a personal key; one who has access wraps the organisation keys for them.

let nieuwGeheim = null; // the passphrase shown once, until the keys are made or access is asked
let modus = "maken"; // "maken": the organisation's keys; "vragen": ask a colleague for access
let vervangen = false;

// After unlocking: the personal key (non-extractable), its thumbprint and the user's blob (with the
// kids), to wrap the organisation's keys again for a colleague. Only in this page's memory.
const eigen = { persoonlijk: null, jkt: null, blob: null };

function controlecode(jkt) {
  return `${jkt.slice(0, 4)}-${jkt.slice(4, 8)}`;
}

function begin(nieuweModus, vervang) {
  modus = nieuweModus;
  vervangen = vervang;
  nieuwGeheim = nieuwWachtwoord();
  $("wachtwoord-nieuw").textContent = nieuwGeheim;
  $("opgeschreven").checked = false;
  $("maak-sleutels").textContent = modus === "vragen" ? "Toegang vragen" : "Sleutels maken en certificaten aanvragen";
  // A colleague who loses it asks for access again; only the organisation's keys need new ones.
  $("wachtwoord-kwijt").textContent =
    modus === "vragen"
      ? "zonder wachtwoord kunt u de sleutels niet meer gebruiken en vraagt u opnieuw toegang aan een collega."
      : "zonder wachtwoord zijn uw sleutels onbruikbaar en moet u nieuwe maken.";
  melding("");
  toon("stap-wachtwoord");
  $("wachtwoord-kop").focus();
}

/** The personal key wrapped under the passphrase's key, as the blob holds it. */
export async function persoonlijkDeel(wikkel, persoon) {
  const { iv, versleuteld } = await verpak(wikkel, persoon.paar.privateKey, "persoonlijk", persoon.jkt);
  return { jwk: persoon.jwk, iv, versleuteld };
}

/** Wrap each item ({gebruik, jkt, bytes}) to a personal public key, for the organisation `oin`. */
export async function wikkelAlles(ontvangerJwk, items, oin = instellingen.oin) {
  const uit = [];
  for (const item of items) uit.push(await wikkelVoor(ontvangerJwk, { gebruik: item.gebruik, jkt: item.jkt, oin }, item.bytes));
  return uit;
}

export function wis(items) {
  for (const item of items) item.bytes.fill(0);
}

/** New signing and encryption key pairs, the CSR and the proof of possession, and new secrets:
 * the organisation's keys as items with their bytes (wiped by the caller once wrapped). Also made
 * by the aanmeldformulier (aanmelden.js), for the OIN typed there. */
export async function nieuweOrganisatiesleutels(oin = instellingen.oin) {
  // Extractable only until they are wrapped; held in memory only as non-extractable keys.
  const teken = await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"]);
  const ecdh = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const tekenJwk = publiekeJwk(await crypto.subtle.exportKey("jwk", teken.publicKey));
  const ecdhJwk = publiekeJwk(await crypto.subtle.exportKey("jwk", ecdh.publicKey));
  const tekenJkt = await calculateJwkThumbprint(tekenJwk);
  const ecdhJkt = await calculateJwkThumbprint(ecdhJwk);

  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${oin}`,
    keys: teken,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  const csrDer = new Uint8Array(csr.rawData);
  // Indirect proof of possession of the ECDH key: signed by the signing key whose CSR this is.
  const bewijs = await new CompactSign(
    new TextEncoder().encode(
      JSON.stringify({
        doel: "knooppunt-portaal-sleutels",
        oin,
        csr: b64url(await crypto.subtle.digest("SHA-256", csrDer)),
        versleuteling: ecdhJwk,
        iat: Math.floor(Date.now() / 1000),
      }),
    ),
  )
    .setProtectedHeader({ alg: "ES256", typ: "knooppunt-sleutelbewijs" })
    .sign(teken.privateKey);

  const nummergeheim = await nieuwOrganisatiegeheim("nummergeheim");
  const labelsleutel = await nieuwOrganisatiegeheim("labelsleutel");
  const items = [
    { gebruik: "ondertekening", jkt: tekenJkt, bytes: await bytesVan(teken.privateKey, "ondertekening") },
    { gebruik: "versleuteling", jkt: ecdhJkt, bytes: await bytesVan(ecdh.privateKey, "versleuteling") },
    { gebruik: "nummergeheim", jkt: nummergeheim.id, bytes: await bytesVan(nummergeheim.sleutel, "nummergeheim") },
    { gebruik: "labelsleutel", jkt: labelsleutel.id, bytes: await bytesVan(labelsleutel.sleutel, "labelsleutel") },
  ];
  return { aanvraag: { csr: pem(csrDer, "CERTIFICATE REQUEST"), versleuteling: ecdhJwk, bewijs }, items };
}

async function maakSleutels() {
  if (!$("opgeschreven").checked) {
    melding("Vink eerst aan dat u het wachtwoord hebt opgeschreven. U ziet het maar één keer.");
    return;
  }
  const knop = $("maak-sleutels");
  knop.disabled = true;
  melding("");
  status(modus === "vragen" ? "Uw persoonlijke sleutel wordt gemaakt… (dit duurt enkele seconden)" : "Sleutels worden gemaakt… (dit duurt enkele seconden)");
  let items = [];
  try {
    const persoon = await nieuwePersoonlijkeSleutel();
    const zout = crypto.getRandomValues(new Uint8Array(16));
    const wikkel = await leidAf(nieuwGeheim, zout);
    const persoonlijk = await persoonlijkDeel(wikkel, persoon);
    const kdf = { ...KDF, zout: b64url(zout) };
    if (modus === "vragen") {
      await api("/toegang", { methode: "POST", body: { blob: { versie: 2, kdf, persoonlijk, sleutels: [] }, opnieuw: vervangen } });
      nieuwGeheim = null;
      $("wachtwoord-nieuw").textContent = "";
      instellingen.heeftSleutels = true;
      wachten(persoon.jkt);
      return;
    }
    const nieuw = await nieuweOrganisatiesleutels();
    items = nieuw.items;
    const blob = { versie: 2, kdf, persoonlijk, sleutels: await wikkelAlles(persoon.jwk, items) };
    await api("/aanvraag", { methode: "POST", body: { ...nieuw.aanvraag, blob, vervang: vervangen } });
    // Held from here on only as a non-extractable key.
    const prive = await importeer(new Uint8Array(await crypto.subtle.exportKey("pkcs8", persoon.paar.privateKey)), "persoonlijk");
    Object.assign(eigen, { persoonlijk: prive, jkt: persoon.jkt });
    await ontsluit((await api("/blob")).blob);
    nieuwGeheim = null;
    $("wachtwoord-nieuw").textContent = "";
    instellingen.heeftSleutels = true;
    status("Uw sleutels zijn gemaakt en uw certificaten zijn uitgegeven. U kunt nu berichten openen.");
    toon("stap-werk");
    meldOntgrendeld();
    await toonCollegas();
  } catch (fout) {
    status("");
    melding(
      modus === "vragen"
        ? `De toegang kon niet worden gevraagd: ${fout.message}. Er is niets opgeslagen; probeer het opnieuw.`
        : `De sleutels konden niet worden gemaakt: ${fout.message}. Er is niets opgeslagen; probeer het opnieuw.`,
    );
  } finally {
    wis(items);
    knop.disabled = false;
  }
}

function wachten(jkt) {
  $("eigen-controlecode").textContent = controlecode(jkt);
  status("");
  toon("stap-wachten");
  $("wachten-kop").focus();
}

// --- unlocking ---------------------------------------------------------------------------------------

/** The organisation's keys from the user's blob into memory (non-extractable), by kid; returns
 * false when no colleague has given this user access yet. */
async function ontsluit(blob) {
  eigen.blob = blob;
  if (!blob.sleutels.length) return false;
  const uitgepakt = [];
  for (const item of blob.sleutels) {
    const bytes = await pakOrganisatiesleutelUit(eigen.persoonlijk, eigen.jkt, instellingen.oin, item);
    uitgepakt.push([item, await importeer(bytes, item.gebruik)]);
  }
  for (const soort of ["versleuteling", "ondertekening", "nummergeheim", "labelsleutel"]) geheugen[soort].clear();
  for (const [item, sleutel] of uitgepakt) geheugen[item.gebruik].set(item.kid, sleutel);
  return true;
}

/** A version 1 blob (one user's own keys): they become the organisation's keys, wrapped to a new
 * personal key under the same passphrase, and the blob is replaced (decision 0027). */
async function zetOm(wikkel, blob) {
  const items = [];
  try {
    for (const item of blob.sleutels) items.push({ gebruik: item.gebruik, jkt: item.jkt, bytes: await pakUitRuw(wikkel, item) });
    const persoon = await nieuwePersoonlijkeSleutel();
    const nieuw = { versie: 2, kdf: blob.kdf, persoonlijk: await persoonlijkDeel(wikkel, persoon), sleutels: await wikkelAlles(persoon.jwk, items) };
    await api("/blob/omzetten", { methode: "POST", body: { blob: nieuw } });
    const prive = await importeer(new Uint8Array(await crypto.subtle.exportKey("pkcs8", persoon.paar.privateKey)), "persoonlijk");
    Object.assign(eigen, { persoonlijk: prive, jkt: persoon.jkt });
    return (await api("/blob")).blob;
  } finally {
    wis(items);
  }
}

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
    let { blob } = await api("/blob");
    const wikkel = await leidAf(wachtwoord, ontb64url(blob.kdf.zout), blob.kdf);
    if (blob.versie === 2) {
      const p = blob.persoonlijk;
      const prive = await pakUit(wikkel, { gebruik: "persoonlijk", jkt: p.jkt, iv: p.iv, versleuteld: p.versleuteld });
      Object.assign(eigen, { persoonlijk: prive, jkt: p.jkt });
    } else {
      blob = await zetOm(wikkel, blob);
    }
    invoer.value = "";
    if (!(await ontsluit(blob))) {
      wachten(eigen.jkt);
      status("Uw wachtwoord klopt, maar een collega heeft u nog geen toegang gegeven. Probeer het later opnieuw.");
      return;
    }
    status("Uw sleutels zijn ontgrendeld. Ze blijven alleen in deze pagina; na herladen vraagt het portaal opnieuw om uw wachtwoord.");
    toon("stap-werk");
    meldOntgrendeld();
    await toonCollegas();
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

// --- colleagues: access given, refused, ended; new keys after a leaver (decision 0027) -------------------

function knopIn(td, tekst, actie, extra = "") {
  const knop = document.createElement("button");
  knop.type = "button";
  knop.className = `knop ${extra}`.trim();
  knop.textContent = tekst;
  knop.addEventListener("click", async () => {
    knop.disabled = true;
    try {
      await actie();
    } finally {
      knop.disabled = false;
    }
  });
  td.appendChild(knop);
  return knop;
}

async function toonCollegas() {
  let r;
  try {
    r = await api("/collegas");
  } catch (fout) {
    melding(`De collega's konden niet worden opgehaald: ${fout.message}`);
    return;
  }
  const lijst = $("collegas-lijst");
  lijst.replaceChildren();
  const anderen = r.gebruikers.filter((g) => !g.zelf);
  for (const g of anderen) {
    const rij = document.createElement("tr");
    cel(rij, g.naam || g.onderwerp);
    cel(rij, g.toegang ? "Heeft toegang" : `Vraagt toegang (sinds ${tijdstip(g.gevraagdOp)})`);
    cel(rij, g.persoonlijk ? controlecode(g.persoonlijk.jkt) : "");
    const acties = cel(rij, "");
    const wie = g.naam || g.onderwerp;
    if (g.toegang) {
      knopIn(acties, `Toegang beëindigen voor ${wie}`, () => beeindig(g), "secundair");
    } else {
      knopIn(acties, `Toegang geven aan ${wie}`, () => geefToegang(g));
      knopIn(acties, `Weigeren voor ${wie}`, () => weiger(g), "secundair");
    }
    lijst.appendChild(rij);
  }
  toonTabel("collegas-tabel", anderen.length > 0);
  $("collegas-leeg").hidden = anderen.length !== 0;
  $("vernieuwen").hidden = !r.vernieuwenNodig;
  return r;
}

async function geefToegang(g) {
  melding("");
  status(`Toegang voor ${g.naam || g.onderwerp} wordt gegeven…`);
  try {
    // The thumbprint is computed here from the public key, not taken from the server's list.
    const jkt = await calculateJwkThumbprint(publiekeJwk(g.persoonlijk.jwk));
    if (jkt !== g.persoonlijk.jkt) throw new Error("de persoonlijke sleutel van uw collega klopt niet met haar vingerafdruk");
    const sleutels = [];
    for (const item of eigen.blob.sleutels) {
      const bytes = await pakOrganisatiesleutelUit(eigen.persoonlijk, eigen.jkt, instellingen.oin, item);
      try {
        sleutels.push(await wikkelVoor(g.persoonlijk.jwk, { gebruik: item.gebruik, jkt: item.jkt, oin: instellingen.oin }, bytes));
      } finally {
        bytes.fill(0);
      }
    }
    await api("/toegang/geven", { methode: "POST", body: { onderwerp: g.onderwerp, jkt, sleutels } });
    status(`${g.naam || g.onderwerp} heeft nu toegang tot de sleutels van uw organisatie.`);
  } catch (fout) {
    status("");
    melding(`De toegang kon niet worden gegeven: ${fout.message}`);
  }
  await toonCollegas();
}

async function weiger(g) {
  melding("");
  try {
    await api("/toegang/weigeren", { methode: "POST", body: { onderwerp: g.onderwerp } });
    status(`Het verzoek van ${g.naam || g.onderwerp} is geweigerd.`);
  } catch (fout) {
    melding(`Het verzoek kon niet worden geweigerd: ${fout.message}`);
  }
  await toonCollegas();
}

async function beeindig(g) {
  melding("");
  const wie = g.naam || g.onderwerp;
  // Not undone with a click: the organisation then needs new keys and certificates (decision 0027).
  if (!window.confirm(`Toegang beëindigen voor ${wie}? ${wie} kan de sleutels van uw organisatie daarna niet meer gebruiken, en u maakt daarna nieuwe sleutels en certificaten (${wie} kende de huidige).`)) {
    status("Er is niets veranderd.");
    return;
  }
  try {
    await api("/toegang/beeindigen", { methode: "POST", body: { onderwerp: g.onderwerp } });
    status(`${g.naam || g.onderwerp} heeft geen toegang meer. Maak nu nieuwe sleutels: deze collega kende de huidige.`);
  } catch (fout) {
    melding(`De toegang kon niet worden beëindigd: ${fout.message}`);
  }
  const r = await toonCollegas();
  if (r && r.vernieuwenNodig) $("vernieuwen-kop").focus();
}

const MAX_BEWAARD = 15; // decryption keys and secrets kept from earlier sets (the server allows 24 entries)

async function vernieuw() {
  const knop = $("vernieuw-knop");
  knop.disabled = true;
  melding("");
  status("Nieuwe sleutels worden gemaakt en voor iedereen met toegang versleuteld…");
  const items = [];
  try {
    const r = await api("/collegas");
    const ontvangers = r.gebruikers.filter((g) => g.toegang);
    for (const g of ontvangers) {
      if (!g.persoonlijk) throw new Error(`${g.naam || g.onderwerp} moet eerst zelf ontgrendelen (oude sleutels)`);
      if ((await calculateJwkThumbprint(publiekeJwk(g.persoonlijk.jwk))) !== g.persoonlijk.jkt) {
        throw new Error(`de persoonlijke sleutel van ${g.naam || g.onderwerp} klopt niet met haar vingerafdruk`);
      }
    }
    // Kept for messages still in flight and labels made before (rollover): the decryption keys and
    // secrets, oldest first; the old signing key is not kept. The new ones come last (newest last).
    const bewaard = eigen.blob.sleutels.filter((s) => s.gebruik !== "ondertekening").slice(-MAX_BEWAARD);
    for (const item of bewaard) {
      items.push({ gebruik: item.gebruik, jkt: item.jkt, bytes: await pakOrganisatiesleutelUit(eigen.persoonlijk, eigen.jkt, instellingen.oin, item) });
    }
    const nieuw = await nieuweOrganisatiesleutels();
    items.push(...nieuw.items);
    const sleutels = {};
    for (const g of ontvangers) sleutels[g.onderwerp] = await wikkelAlles(g.persoonlijk.jwk, items);
    await api("/vernieuwen", { methode: "POST", body: { ...nieuw.aanvraag, sleutels } });
    await ontsluit((await api("/blob")).blob);
    status("Er zijn nieuwe sleutels en certificaten; de oude certificaten zijn ingetrokken. Berichten die al onderweg waren, kunt u nog openen.");
    meldOntgrendeld();
  } catch (fout) {
    status("");
    melding(`Er konden geen nieuwe sleutels worden gemaakt: ${fout.message}. Er is niets veranderd; probeer het opnieuw.`);
  } finally {
    wis(items);
    knop.disabled = false;
  }
  await toonCollegas();
}

// --- importing a PKIoverheid certificate (DESIGN §5 "Portal", decision 0032) -----------------------
//
// The user chooses a PKCS#12 file (.p12/.pfx) with its password, or a PEM certificate with a PKCS#8
// key (or a PKCS#1 RSA key). The key is P-256, or RSA of 2048 to 4096 bits (decision 0036: PS256 to
// sign, RSA-OAEP-256 to decrypt). This page reads it (pkijs), checks that the certificate is for the organisation's OIN and that
// the key belongs to it, wraps the key to every colleague with access like the organisation's other
// keys, and registers the certificate; the server checks its chain against the trust anchors. The
// private key never leaves the page unwrapped; in memory it is a non-extractable key.

class ImportFout extends Error {}

const BAG = {
  sleutel: "1.2.840.113549.1.12.10.1.1",
  versleuteldeSleutel: "1.2.840.113549.1.12.10.1.2",
  certificaat: "1.2.840.113549.1.12.10.1.3",
};

/** The certificates (DER) and the one private key (PKCS#8) of a PKCS#12 file. */
async function leesPkcs12(bytes, wachtwoord) {
  let pfx;
  try {
    pfx = PFX.fromBER(bytes);
  } catch {
    throw new ImportFout("het bestand is geen PKCS#12-bestand (.p12 of .pfx) en geen PEM-certificaat");
  }
  const geheim = new TextEncoder().encode(wachtwoord).buffer;
  try {
    await pfx.parseInternalValues({ password: geheim, checkIntegrity: true });
  } catch {
    throw new ImportFout("het wachtwoord van het PKCS#12-bestand klopt niet (of het bestand is beschadigd); controleer het wachtwoord");
  }
  const veilig = pfx.parsedValue?.authenticatedSafe;
  const certificaten = [];
  const sleutels = [];
  try {
    await veilig.parseInternalValues({ safeContents: veilig.safeContents.map(() => ({ password: geheim })) });
    for (const inhoud of veilig.parsedValue.safeContents) {
      for (const bag of inhoud.value.safeBags) {
        if (bag.bagId === BAG.certificaat) {
          certificaten.push(new Uint8Array(bag.bagValue.parsedValue.toSchema().toBER()));
        } else if (bag.bagId === BAG.versleuteldeSleutel) {
          await bag.bagValue.parseInternalValues({ password: geheim });
          sleutels.push(new Uint8Array(bag.bagValue.parsedValue.toSchema().toBER()));
        } else if (bag.bagId === BAG.sleutel) {
          sleutels.push(new Uint8Array(bag.bagValue.toSchema().toBER()));
        }
      }
    }
  } catch {
    throw new ImportFout("de inhoud van het PKCS#12-bestand kan met dit wachtwoord niet worden geopend");
  }
  if (sleutels.length !== 1) {
    for (const s of sleutels) s.fill(0);
    throw new ImportFout(
      sleutels.length ? "het bestand bevat meer dan één privésleutel; exporteer alleen het certificaat met zijn sleutel" : "het bestand bevat geen privésleutel",
    );
  }
  return { certificaten, pkcs8: sleutels[0] };
}

function pemBlokken(tekst, label) {
  const uit = [];
  const patroon = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, "g");
  for (const m of tekst.matchAll(patroon)) uit.push(ontb64url(m[1].replace(/\s/g, "").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_")));
  return uit;
}

/** The certificates and the private key of PEM text: the certificate file, and the key file (or the
 * key in the same file). Only an unencrypted PKCS#8 key ("PRIVATE KEY"), or an unencrypted PKCS#1
 * RSA key ("RSA PRIVATE KEY", as older OpenSSL writes it), which is rewrapped as PKCS#8 here. */
function leesPem(certificaattekst, sleuteltekst) {
  const certificaten = pemBlokken(certificaattekst, "CERTIFICATE");
  if (!certificaten.length) throw new ImportFout("het bestand bevat geen certificaat ('-----BEGIN CERTIFICATE-----')");
  const alles = `${certificaattekst}\n${sleuteltekst}`;
  if (/-----BEGIN (ENCRYPTED PRIVATE KEY|EC PRIVATE KEY)-----/.test(alles) || /Proc-Type:\s*4,\s*ENCRYPTED/.test(alles)) {
    throw new ImportFout("de sleutel moet een onversleutelde PKCS#8-sleutel zijn ('-----BEGIN PRIVATE KEY-----'); gebruik anders het PKCS#12-bestand");
  }
  const sleutels = pemBlokken(alles, "PRIVATE KEY");
  for (const pkcs1 of pemBlokken(alles, "RSA PRIVATE KEY")) {
    sleutels.push(pkcs1NaarPkcs8(pkcs1));
    pkcs1.fill(0);
  }
  if (sleutels.length !== 1) {
    for (const s of sleutels) s.fill(0);
    throw new ImportFout("kies bij een PEM-certificaat ook het bestand met precies één privésleutel (PKCS#8, '-----BEGIN PRIVATE KEY-----')");
  }
  return { certificaten, pkcs8: sleutels[0] };
}

function gelijk(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The certificate whose key this is, checked for the organisation: its OIN (subject serialNumber),
 * validity and use (keyUsage). Returns what is registered and the key's bytes to wrap. */
async function controleerImport({ certificaten, pkcs8 }) {
  // An EC key must be on P-256 (ES256, ECDH-ES); an RSA key 2048 to 4096 bits (PS256, RSA-OAEP-256:
  // decision 0036). Imported once, extractable, to find its certificate; what is wrapped are the
  // bytes WebCrypto exports again.
  const soort = sleutelsoort(pkcs8);
  const algoritme = soort === "RSA" ? { name: "RSA-PSS", hash: "SHA-256" } : { name: "ECDSA", namedCurve: "P-256" };
  let prive;
  try {
    prive = await crypto.subtle.importKey("pkcs8", pkcs8, algoritme, true, ["sign"]);
  } catch {
    throw new ImportFout(
      soort === "RSA"
        ? "de RSA-privésleutel is niet te lezen"
        : "de privésleutel is geen EC P-256- of RSA-sleutel; de werkplek gebruikt sleutels op P-256 en RSA-sleutels van 2048 tot en met 4096 bits",
    );
  }
  if (soort === "RSA") {
    const bits = prive.algorithm.modulusLength;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
      throw new ImportFout(
        `de RSA-sleutel is ${bits} bits; de werkplek gebruikt RSA-sleutels van ${RSA_MIN_BITS} tot en met ${RSA_MAX_BITS} bits` +
          (bits < RSA_MIN_BITS ? " (een kortere sleutel is niet veilig genoeg)" : ""),
      );
    }
  }
  const jwk = publiekeJwk(await crypto.subtle.exportKey("jwk", prive));
  const publiek = await crypto.subtle.importKey("jwk", { ...jwk, ext: true }, algoritme, true, ["verify"]);
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publiek));
  let certs;
  try {
    certs = certificaten.map((der) => new x509.X509Certificate(der));
  } catch {
    throw new ImportFout("een certificaat in het bestand is niet te lezen");
  }
  const cert = certs.find((c) => gelijk(new Uint8Array(c.publicKey.rawData), spki));
  if (!cert) throw new ImportFout("de privésleutel hoort niet bij het certificaat in het bestand; kies het certificaat en de sleutel die bij elkaar horen");
  const [oin] = cert.subjectName.getField("2.5.4.5");
  if (oin !== instellingen.oin) {
    throw new ImportFout(`het certificaat is voor OIN ${oin || "(geen serialNumber)"}, maar u werkt voor OIN ${instellingen.oin}; kies het certificaat van uw organisatie`);
  }
  if (cert.notAfter <= new Date()) throw new ImportFout(`het certificaat is verlopen op ${tijdstip(cert.notAfter.toISOString())}`);
  const ku = cert.getExtension(x509.KeyUsagesExtension);
  if (!ku) throw new ImportFout("het certificaat zegt niet waarvoor de sleutel dient (keyUsage ontbreekt)");
  // One use per imported key: signing first; decrypting is keyAgreement for P-256 (ECDH-ES) and
  // keyEncipherment for RSA (RSA-OAEP).
  let gebruik;
  if (ku.usages & x509.KeyUsageFlags.digitalSignature) gebruik = "ondertekening";
  else if (ku.usages & (soort === "RSA" ? x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.keyAgreement)) gebruik = "versleuteling";
  else throw new ImportFout("het certificaat is niet voor ondertekenen of versleutelen");
  return {
    certificaat: cert.toString("pem"),
    keten: certs.filter((c) => c !== cert).map((c) => c.toString("pem")),
    gebruik,
    jkt: await calculateJwkThumbprint(jwk),
    bytes: await bytesVan(prive, gebruik),
  };
}

async function importeerCertificaat(gebeurtenis) {
  gebeurtenis.preventDefault();
  const bestand = $("importeer-bestand").files[0];
  const sleutelbestand = $("importeer-sleutel").files[0];
  if (!bestand) {
    melding("Kies eerst het bestand met het certificaat van uw organisatie (.p12, .pfx of .pem).");
    return;
  }
  const knop = $("importeer-knop");
  knop.disabled = true;
  melding("");
  status("Het certificaat wordt gelezen en gecontroleerd…");
  let gelezen = null;
  let gecontroleerd = null;
  try {
    const bytes = new Uint8Array(await bestand.arrayBuffer());
    const pem = new TextDecoder().decode(bytes.slice(0, 256)).trimStart().startsWith("-----BEGIN");
    gelezen = pem
      ? leesPem(new TextDecoder().decode(bytes), sleutelbestand ? await sleutelbestand.text() : "")
      : await leesPkcs12(bytes, $("importeer-wachtwoord").value);
    gecontroleerd = await controleerImport(gelezen);
    const { certificaat, keten, gebruik, jkt } = gecontroleerd;
    // Wrapped for every colleague with access, each thumbprint computed here (as geefToegang does).
    const { gebruikers } = await api("/collegas");
    const sleutels = {};
    for (const g of gebruikers.filter((x) => x.toegang)) {
      if (!g.persoonlijk) throw new Error("een collega heeft nog oude sleutels; die moet eerst zelf ontgrendelen");
      if ((await calculateJwkThumbprint(publiekeJwk(g.persoonlijk.jwk))) !== g.persoonlijk.jkt) {
        throw new Error("de persoonlijke sleutel van een collega klopt niet met haar vingerafdruk");
      }
      sleutels[g.onderwerp] = [await wikkelVoor(g.persoonlijk.jwk, { gebruik, jkt, oin: instellingen.oin }, gecontroleerd.bytes)];
    }
    const r = await api("/importeren", { methode: "POST", body: { certificaat, keten, sleutels } });
    const [uit] = r.certificaten;
    geheugen[gebruik].set(uit.kid, await importeer(gecontroleerd.bytes, gebruik)); // wipes the bytes
    eigen.blob = (await api("/blob")).blob;
    $("importeer-formulier").reset();
    status(
      `Het certificaat is gecontroleerd en staat in het adresboek (vingerafdruk ${uit.vingerafdruk.slice(0, 16)}…). ` +
        `De sleutel is versleuteld bewaard bij de sleutels van uw organisatie, voor ${gebruik === "ondertekening" ? "ondertekenen" : "ontsleutelen"}.`,
    );
  } catch (fout) {
    status("");
    const reden = String(fout.message).replace(/^Er is niets veranderd: /, "").replace(/\.$/, "");
    melding(`Het certificaat is niet geïmporteerd: ${reden}. Er is niets opgeslagen.`);
  } finally {
    gelezen?.pkcs8.fill(0);
    gecontroleerd?.bytes.fill(0);
    $("importeer-wachtwoord").value = "";
    knop.disabled = false;
  }
}

// --- messages -----------------------------------------------------------------------------------------

// The inbox's Cliënt cell: the client's name as the organisation gave it (or as an opened message
// named it: clienten.js), decrypted in this page (DESIGN §7); else the traject's short reference.
function toonClient(td) {
  const traject = td.dataset.conversatie;
  td.textContent = clientnaam(traject) || (traject ? `Traject ${traject.slice(0, 8)}` : "—");
}

// Names loaded, set or taken from an opened message: the rows already shown name the client at once.
bijNamen(() => {
  for (const td of $("berichten-lijst")?.querySelectorAll("td.bericht-client") ?? []) toonClient(td);
});

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
      // The client's name as the organisation gave it, decrypted in this page (DESIGN §7).
      const client = cel(rij, "");
      client.className = "bericht-client";
      client.dataset.conversatie = String(env.conversatieReferentienummer || "");
      toonClient(client);
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
    toonTabel("berichten-tabel", r.berichten.length > 0);
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
  vak.replaceChildren();
  melding("");
  kop.textContent = env.berichttypeNaam || env.berichttype;
  $("bericht").hidden = false;
  toonAntwoordknop(null);
  let ruw = null; // the payload as it arrived (JSON text), for answering it
  let gelezen = null;
  let benoemd = 0;
  let tekst;
  try {
    if (env.melding) {
      tekst = JSON.stringify(env.melding, null, 2);
    } else {
      ruw = (await open(env, geheugen.versleuteling, certificatenVan)).payload;
      try {
        gelezen = JSON.parse(ruw);
      } catch {
        throw new Onbetrouwbaar("INHOUD_ONGELDIG", "de inhoud is geen geldige JSON");
      }
      // What the SDK's fetch checks after decrypting (client.hub.open_inhoud): the JSON Schema of
      // its type, the payload model's rules (controles.js) and the module's rules for the sender's
      // role — content that fails them is not shown, as the download leaves it out (INHOUD_ONGELDIG).
      await laadIndeling();
      controleerBericht(env, gelezen);
      tekst = JSON.stringify(gelezen, null, 2);
    }
  } catch (fout) {
    status("");
    if (fout instanceof Onbetrouwbaar && fout.reden === "SLEUTEL_ONBRUIKBAAR" && env.oudeSleutel === true) {
      // Sealed for the key the portal hosted before the keys in the browser: the portal opens it.
      melding(
        "Dit bericht is nog versleuteld voor de sleutel die het portaal voor uw organisatie bewaarde " +
          "voordat u sleutels in de browser maakte. Deze pagina heeft die sleutel niet; het portaal opent het nog, zoals voorheen. ",
      );
      $("sleutels-fout").append(oudeSleutelLink(env));
    } else if (fout instanceof Onbetrouwbaar && fout.reden === "SLEUTEL_ONBRUIKBAAR") {
      // Not the sender's doing: sealed for a key of this organisation that this page no longer has.
      melding(
        "Dit bericht is versleuteld voor een oude sleutel van uw organisatie, die deze pagina niet meer heeft; " +
          "het kan daarom niet worden geopend. Weiger het bij Downloaden (onder ‘Niet in de download’): " +
          "de afzender krijgt dan bericht en kan het opnieuw sturen, voor uw nieuwe sleutel.",
      );
    } else if (fout instanceof Onbetrouwbaar && fout.reden === "INHOUD_ONGELDIG") {
      melding(
        `Dit bericht wordt niet getoond (INHOUD_ONGELDIG): ${fout.message}. ` +
          "Weiger het bij Downloaden (onder ‘Niet in de download’): de afzender krijgt dan een foutbericht en kan het verbeterd opnieuw sturen.",
      );
    } else {
      const reden = fout instanceof Onbetrouwbaar ? ` (${fout.reden})` : "";
      melding(`Dit bericht kan niet worden vertrouwd en wordt niet getoond${reden}: ${fout.message}.`);
    }
    $("bericht").hidden = true;
    return;
  }
  try {
    // Readable as the hosted "Bekijken" page and the zip's copy show it: the layout's labels.
    const traject = String(env.conversatieReferentienummer || "");
    // A traject without a name is named from the client the content names (clienten.js), at once.
    if (gelezen !== null && traject) benoemd = await noemUitBerichten([{ conversatie: traject, payload: gelezen }]);
    await laadIndeling(); // loaded above for a message with content; a hub notice needs it here
    const b = { env, typeNaam: typenaam(env), client: traject ? clientnaam(traject) : null, payload: gelezen, melding: env.melding ?? null };
    toonLeesbaar(kop, vak, b, tekst);
  } catch {
    // Without the layout (it could not be fetched): the content as it arrived, as text.
    const pre = document.createElement("pre");
    pre.className = "bericht-json";
    pre.textContent = tekst; // text, never HTML (DESIGN §5)
    vak.replaceChildren(pre);
  }
  if (!env.melding) toonAntwoordknop(env, ruw); // answering it: opstellen.js
  status(
    "Het bericht is ontsleuteld en de handtekening van de afzender klopt." +
      (benoemd ? " De naam van de cliënt is uit het bericht overgenomen en versleuteld bewaard; het knooppunt kan hem niet lezen." : ""),
  );
}

// --- locking ------------------------------------------------------------------------------------------
//
// The keys live only in this page's memory. "Vergrendelen", or as long without any use of the page as
// the portal's session lasts idle, forgets them and everything decrypted: the maps are cleared and
// the page is loaded anew (a new JavaScript realm), which asks for the passphrase again.

let laatsteGebruik = Date.now();

function vergrendel(reden) {
  for (const kaart of Object.values(geheugen)) kaart.clear();
  Object.assign(eigen, { persoonlijk: null, jkt: null, blob: null });
  for (const id of ["bericht-inhoud", "berichten-lijst"]) $(id)?.replaceChildren();
  const adres = new URL(window.location.href);
  adres.hash = "";
  if (reden === "inactief") adres.searchParams.set("vergrendeld", "inactief");
  else adres.searchParams.delete("vergrendeld");
  window.location.replace(adres.toString());
}

function bewaakGebruik(minuten) {
  if (!(minuten > 0)) return;
  for (const soort of ["pointerdown", "keydown", "wheel", "touchstart", "scroll"]) {
    window.addEventListener(soort, () => (laatsteGebruik = Date.now()), { passive: true, capture: true });
  }
  window.setInterval(() => {
    if ($("stap-werk").hidden) return; // nothing unlocked
    if (Date.now() - laatsteGebruik >= minuten * 60_000) vergrendel("inactief");
  }, 15_000);
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
  const toestand = wortel.dataset.toestand;
  const collegaHeeftToegang = wortel.dataset.anderen === "ja";
  $("sleutels-geen-js").hidden = true;
  $("begin-aanmaken").addEventListener("click", () => begin("maken", false));
  $("begin-vragen").addEventListener("click", () => begin("vragen", false));
  // A lost passphrase: ask a colleague again while one has access; only otherwise new keys.
  $("begin-opnieuw").textContent = collegaHeeftToegang ? "Wachtwoord kwijt? Opnieuw toegang vragen" : "Wachtwoord kwijt? Nieuwe sleutels maken";
  $("opnieuw-uitleg").textContent = collegaHeeftToegang
    ? "U maakt een nieuw wachtwoord en vraagt opnieuw toegang; een collega met toegang geeft die. De sleutels van uw organisatie blijven dezelfde."
    : $("opnieuw-uitleg").textContent;
  $("bevestig-opnieuw").textContent = collegaHeeftToegang ? "Ja, vraag opnieuw toegang" : "Ja, maak nieuwe sleutels";
  $("begin-opnieuw").addEventListener("click", () => {
    $("opnieuw-uitleg").hidden = false;
    $("bevestig-opnieuw").hidden = false;
  });
  $("bevestig-opnieuw").addEventListener("click", () => begin(collegaHeeftToegang ? "vragen" : "maken", true));
  $("maak-sleutels").addEventListener("click", maakSleutels);
  $("ontgrendel-formulier").addEventListener("submit", ontgrendel);
  $("haal-berichten").addEventListener("click", haalBerichten);
  $("vernieuw-knop").addEventListener("click", vernieuw);
  $("ververs-collegas").addEventListener("click", toonCollegas);
  $("importeer-formulier").addEventListener("submit", importeerCertificaat);
  $("vergrendel-knop").addEventListener("click", () => vergrendel("knop"));
  bewaakGebruik(Number(wortel.dataset.inactiefMinuten));
  if (new URLSearchParams(window.location.search).get("vergrendeld") === "inactief") {
    status(`De sleutels zijn vergrendeld omdat u ${wortel.dataset.inactiefMinuten} minuten niets in deze pagina deed. Ontgrendel ze opnieuw met uw wachtwoord.`);
  }
  startOnderdelen();
  if (toestand === "organisatie") toon("stap-organisatie");
  else toon(instellingen.heeftSleutels ? "stap-ontgrendelen" : "stap-aanmaken");
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
