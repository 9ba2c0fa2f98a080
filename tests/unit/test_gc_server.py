"""Garbage collection in a server process (decision 0039): what is alive once the app is built is
frozen, the youngest generation collected every GC_EERSTE_GENERATIE allocations, and cycles are
still collected. In a process of its own: the test process keeps Python's defaults."""

from __future__ import annotations

import json
import subprocess
import sys

PROGRAMMA = """
import gc, json
from knooppunt.runtime import GC_EERSTE_GENERATIE, stel_gc_in_voor_server
voor = gc.get_threshold()
stel_gc_in_voor_server()
na = gc.get_threshold()
bevroren = gc.get_freeze_count()

class Knoop:
    pass

a, b = Knoop(), Knoop()
a.b, b.a = b, a          # a cycle: only the collector frees it
del a, b
opgeruimd = gc.collect()
print(json.dumps({"voor": voor, "na": na, "bevroren": bevroren, "opgeruimd": opgeruimd,
                  "eerste": GC_EERSTE_GENERATIE}))
"""


def test_serverproces_bevriest_en_verzamelt_minder_vaak() -> None:
    uit = subprocess.run([sys.executable, "-c", PROGRAMMA], capture_output=True, text=True, check=True)
    gemeten = json.loads(uit.stdout)
    assert gemeten["na"][0] == gemeten["eerste"] > gemeten["voor"][0]
    assert gemeten["na"][1:] == gemeten["voor"][1:]  # the older generations as Python has them
    assert gemeten["bevroren"] > 1000  # modules and the objects of start-up, never scanned again
    assert gemeten["opgeruimd"] >= 2  # cycles made afterwards are still collected


def test_testproces_houdt_de_standaard() -> None:
    import gc

    assert gc.get_threshold()[0] < 50_000
