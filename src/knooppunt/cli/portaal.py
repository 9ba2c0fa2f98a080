"""`knooppunt portaal`: the web portal's operator commands — demo data (development only), putting
a hosted participant's key in the kluis, re-encrypting every key after a master-key rotation, and
destroying the kluis once no hosted key is needed any more (decision 0027)."""

from __future__ import annotations

from pathlib import Path

import click

from knooppunt.cli.gemeen import beheerder as _beheerder
from knooppunt.cli.gemeen import fouten_netjes
from knooppunt.cli.gemeen import settings as _settings


@click.group()
def portaal() -> None:
    """The web portal (hosted client): demo data and key custody."""


@portaal.command("demo")
@click.option(
    "--browsersleutels",
    is_flag=True,
    help="The zero-knowledge demo: participants that make their keys in the browser (decision 0038).",
)
@fouten_netjes
def portaal_demo(browsersleutels: bool) -> None:
    """Seed demo participants and messages for the portal (KNOOPPUNT_ENV=development only), then
    log in at /portaal/ with the development login. Without --browsersleutels the portal holds the
    participants' keys and opens their messages on the server (quick for clicking around)."""
    from knooppunt import runtime
    from knooppunt.portaal.demo import laad_demo
    from knooppunt.portaal.kluis import Kluis

    if browsersleutels:
        _browserdemo()
        return
    rt = runtime.bouw(_settings())
    try:
        aantallen = laad_demo(rt, Kluis.uit_instellingen(rt.settings))
    finally:
        rt.close()
    click.echo(
        f"demo: {aantallen['deelnemers']} nieuwe deelnemers, {aantallen['berichten']} berichten verstuurd; "
        f"log in op {_portaaladres(rt.settings.portaal_url)} met de ontwikkel-login"
    )
    if aantallen["al_verstuurd"]:
        click.echo(
            f"{aantallen['al_verstuurd']} demoberichten waren al verstuurd bij een eerdere keer laden; "
            "niets is dubbel verstuurd"
        )


def _portaaladres(portaal_url: str) -> str:
    """Where to log in: KNOOPPUNT_PORTAAL_URL when set; else this command cannot know the port the
    hub serves on, so it says where the portal is on it and what `make run` uses."""
    if portaal_url:
        return portaal_url.rstrip("/") + "/"
    return (
        "/portaal/ van het knooppunt (bij `make run`: https://localhost:8443/portaal/; "
        "bij `make run PORT=N`: poort N)"
    )


def _browserdemo() -> None:
    from knooppunt import runtime
    from knooppunt.portaal.browserdemo import antwoordzin, laad_browserdemo, opstelzin, wachtzin
    from knooppunt.portaal.weergave import meervoud

    rt = runtime.bouw(_settings())
    try:
        uitslag = laad_browserdemo(rt)
    finally:
        rt.close()
    berichten = meervoud(uitslag.berichten, "bericht", "berichten")
    antwoorden = meervoud(uitslag.antwoorden, "antwoord", "antwoorden")
    click.echo(
        f"demo met sleutels in de browser: {uitslag.nieuw} nieuwe deelnemers, {berichten} en {antwoorden} "
        f"verstuurd; log in op {_portaaladres(rt.settings.portaal_url)} met de ontwikkel-login"
    )
    for naam, aantal in uitslag.al_verstuurd.items():
        click.echo(f"{naam}: {aantal} demoberichten waren al verstuurd")
    for naam in {**uitslag.geopend, **uitslag.geweigerd}:
        for zin in antwoordzin(uitslag, naam):
            click.echo(zin)
    for naam in uitslag.wacht_op_sleutels:
        click.echo(wachtzin(naam))
    for naam in uitslag.niets_te_beantwoorden:
        click.echo(opstelzin(naam))


@portaal.group("sleutel")
def sleutel() -> None:
    """Hosted participants' private keys (encrypted in the kluis)."""


@sleutel.command("import")
@click.option("--oin", required=True, help="The participant (sleutelbeheer portaal).")
@click.option("--certificaat", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--sleutel", "sleutel_pad", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@fouten_netjes
def sleutel_import(oin: str, certificaat: Path, sleutel_pad: Path) -> None:
    """Put a hosted participant's private key in the kluis (AES-256-GCM under the master key). The
    certificate must be registered in the adresboek for this OIN. Delete the key file afterwards."""
    from knooppunt import runtime
    from knooppunt.pki.certificaat import OngeldigCertificaat
    from knooppunt.portaal.gastclient import bewaar_sleutel
    from knooppunt.portaal.kluis import Kluis
    from knooppunt.store import deelnemers as deelnemers_store
    from knooppunt.store.db import db_nu, transactie

    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        kluis = Kluis.uit_instellingen(rt.settings)
        with transactie(rt.sessions) as session:
            deelnemer = deelnemers_store.haal(session, oin)
            if deelnemer is None:
                raise click.ClickException(f"er is geen deelnemer met OIN {oin}; registreer hem eerst")
            if deelnemer.sleutelbeheer != "portaal":
                raise click.ClickException(
                    f"{deelnemer.naam} heeft sleutelbeheer '{deelnemer.sleutelbeheer}': het portaal beheert "
                    "alleen sleutels van deelnemers met sleutelbeheer 'portaal'"
                )
            try:
                rij = bewaar_sleutel(
                    session,
                    kluis,
                    oin=oin,
                    certificaat_pem=certificaat.read_bytes(),
                    sleutel_pem=sleutel_pad.read_bytes(),
                    nu=db_nu(session),
                )
            except OngeldigCertificaat as exc:
                raise click.ClickException(str(exc)) from exc
            if not any(c.pem.strip() == rij.certificaat_pem.strip() for c in deelnemer.certificaten):
                raise click.ClickException(
                    "dit certificaat staat niet in het adresboek bij deze deelnemer; voeg het eerst toe met "
                    "'knooppunt deelnemer certificaat add'"
                )
            kid = rij.kid
    finally:
        rt.close()
    click.echo(f"sleutel {kid} van {oin} staat versleuteld in de kluis; verwijder {sleutel_pad} nu")


@portaal.command("herversleutel")
@fouten_netjes
def herversleutel() -> None:
    """Re-encrypt every hosted key, the debt counsellors' client labels and the upload secrets
    under the first master key of KNOOPPUNT_PORTAAL_HOOFDSLEUTELS (after putting a new key first).
    Old keys can be removed from the setting afterwards."""
    from knooppunt import runtime
    from knooppunt.portaal import antwoordnummers, dossiers
    from knooppunt.portaal.gastclient import herversleutel as doe
    from knooppunt.portaal.kluis import Kluis
    from knooppunt.store.db import db_nu, transactie

    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        kluis = Kluis.uit_instellingen(rt.settings)
        with transactie(rt.sessions) as session:
            aantal = doe(session, kluis, wie=_beheerder(), nu=db_nu(session))
            labels = dossiers.herversleutel(session, kluis)
            geheimen = antwoordnummers.herversleutel(session, kluis)
    finally:
        rt.close()
    click.echo(
        f"{aantal} sleutel(s) en {labels} cliëntnaam/-namen opnieuw versleuteld onder hoofdsleutel "
        f"{kluis.huidige_id}, en {geheimen} uploadgeheim(en)"
    )


@portaal.command("kluis-vernietigen")
@click.option(
    "--proef", is_flag=True, help="Only say what would be destroyed, or what still needs the kluis."
)
@fouten_netjes
def kluis_vernietigen(proef: bool) -> None:
    """Destroy the kluis (DESIGN §5 "Migration"): the hosted private keys' ciphertext and the
    development master key, once every hosted participant has keys in the browser and no message
    for a hosted key can still be fetched. Refuses, naming who still needs it, until then.
    Idempotent. The lifecycle jobs do the same by themselves."""
    from knooppunt import runtime
    from knooppunt.portaal import kluismigratie
    from knooppunt.store.db import db_nu, transactie

    rt = runtime.bouw(_settings(), alleen_nieuw=True)
    try:
        with transactie(rt.sessions) as session:
            uitslag = kluismigratie.vernietig(
                session, rt.settings, door=_beheerder(), nu=db_nu(session), proef=proef
            )
    finally:
        rt.close()
    if uitslag.al_vernietigd:
        click.echo("de kluis bevat geen sleutels (meer): er is niets te vernietigen")
    elif uitslag.nodig:
        regels = "\n".join(f"  {n.oin}: {n.reden}" for n in uitslag.nodig)
        raise click.ClickException(f"de kluis is nog nodig en wordt niet vernietigd:\n{regels}")
    elif proef:
        bestand = " en het ontwikkelbestand met de hoofdsleutel" if uitslag.bestand else ""
        click.echo(f"proef: {uitslag.sleutels} sleutel(s) in de kluis{bestand} zouden worden vernietigd")
    else:
        click.echo(f"de kluis is vernietigd: {uitslag.sleutels} versleutelde sleutel(s) gewist")
    if uitslag.hoofdsleutel_in_instellingen and (uitslag.vernietigd or uitslag.al_vernietigd):
        click.echo(
            "verwijder nu KNOOPPUNT_PORTAAL_HOOFDSLEUTELS uit de configuratie en uit de geheimenopslag: "
            "het knooppunt kan een omgevingsvariabele niet zelf wissen"
        )
