"""`knooppunt sleutels`: the day keys of stored inhoud (DESIGN §5) — what the key store holds,
rewrapping after a master-key rotation, and destroying the keys that are due now."""

from __future__ import annotations

import json
import sys

import click

from knooppunt.cli.gemeen import fouten_netjes
from knooppunt.cli.gemeen import settings as _settings


@click.group()
def sleutels() -> None:
    """Day keys of the stored inhoud (key store apart from the message database)."""


@sleutels.command("status")
@click.option("--json", "als_json", is_flag=True, help="One JSON object per day.")
@fouten_netjes
def sleutels_status(als_json: bool) -> None:
    """Every day in the key store, newest first: its master key, until when something sealed under
    it can be fetched (uiterlijk), and when it was destroyed."""
    from knooppunt.store.dagsleutels import Dagsleutels

    opslag = Dagsleutels.uit_instellingen(_settings(), maak=False)  # looking creates nothing
    try:
        dagen = opslag.overzicht()
        huidige = opslag.hoofdsleutels.huidige_id
        bekend = list(opslag.hoofdsleutels.sleutels)
    finally:
        opslag.close()
    levend = [d for d in dagen if d["vernietigdOp"] is None]
    if als_json:
        for dag in dagen:
            click.echo(json.dumps(dag))
    else:
        click.echo(f"hoofdsleutel voor nieuwe dagsleutels: {huidige}; {len(levend)} levende dagsleutel(s)")
        for dag in dagen:
            if dag["vernietigdOp"] is None:
                click.echo(f"{dag['dag']}  hoofdsleutel {dag['hoofdsleutel']}  uiterlijk {dag['uiterlijk']}")
            else:
                click.echo(f"{dag['dag']}  vernietigd op {dag['vernietigdOp']}")
    ontbreekt = sorted({str(d["hoofdsleutel"]) for d in levend} - set(bekend))
    if ontbreekt:
        # Their day keys cannot be unwrapped: content sealed under them cannot be delivered.
        click.echo(
            f"let op: hoofdsleutel(s) {', '.join(ontbreekt)} van levende dagsleutels staan niet in "
            "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS: zet ze er weer achter (ná de huidige) en draai "
            "'knooppunt sleutels herverpak'",
            err=True,
        )
        sys.exit(1)


@sleutels.command("herverpak")
@fouten_netjes
def sleutels_herverpak() -> None:
    """Wrap every living day key under the first key of KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS (after
    putting a new master key first). The old master key can be removed from the setting afterwards."""
    from knooppunt.store.dagsleutels import Dagsleutels

    opslag = Dagsleutels.uit_instellingen(_settings())
    try:
        aantal = opslag.herverpak()
    finally:
        opslag.close()
    click.echo(f"{aantal} dagsleutel(s) opnieuw verpakt onder hoofdsleutel {opslag.hoofdsleutels.huidige_id}")


@sleutels.command("koppel")
@click.option(
    "--opgeven",
    is_flag=True,
    help="Give up the content sealed under the key store the message database knew (it is lost for "
    "good): open messages stored under its keys are no longer delivered and expire.",
)
@fouten_netjes
def sleutels_koppel(opgeven: bool) -> None:
    """Check that this node's key store is the one the message database works with; with
    --opgeven, make it that store (after the old one was lost for good)."""
    from knooppunt.store.dagsleutels import Dagsleutels
    from knooppunt.store.db import maak_engine

    settings = _settings()
    opslag = Dagsleutels.uit_instellingen(settings, maak=opgeven)
    engine = maak_engine(settings.effective_database_url, pool_size=1)
    try:
        if opgeven:
            vorige = opslag.koppel(engine)
            if vorige is None:
                click.echo(f"sleutelopslag {opslag.identiteit()} is gekoppeld aan de berichtendatabase")
            else:
                click.echo(
                    f"sleutelopslag {opslag.identiteit()} is nu gekoppeld aan de berichtendatabase, in "
                    f"plaats van {vorige}: wat onder de oude dagsleutels is opgeslagen wordt niet meer "
                    "bezorgd en verloopt"
                )
            return
        opslag.controleer_koppeling(engine)
        click.echo(f"sleutelopslag {opslag.identiteit()} is die van de berichtendatabase")
    finally:
        engine.dispose()
        opslag.close()
