"""`knooppunt serve` with the app replaced by #13's prototype (bench/prototype.py), for the
prototype's row beside the real hub in one run (bench/run.py --variant prototype).

Everything else is the real command: settings, migrations, the mutual-TLS listener with the peer
certificate handed to the app (`api.tls`), uvicorn with httptools on uvloop, the workers
(`--workers N`), the operator listener and the job planner. Nothing under src/ is modified.
"""

from __future__ import annotations

import sys
from typing import Any

import prototype
from knooppunt import app
from knooppunt.cli import fabriek
from knooppunt.cli.main import main


def _prototype_app(rt: Any) -> Any:
    return prototype.maak(rt.settings.effective_database_url)


app.create_app = _prototype_app  # type: ignore[assignment]
fabriek.Fabriek = prototype.Fabriek  # type: ignore[misc]

if __name__ == "__main__":
    sys.exit(main())
