"""`knooppunt serve` under yappi's CPU-clock profiler, all threads (bench/run.py --cpu-profiel).

py-spy samples wall time of every thread that is not idle, which on a server full of threads that
wait for the GIL or the database mixes waiting into the picture. yappi with ``clock_type="cpu"``
charges each function only the CPU time its own thread spent, in the event-loop thread and in
the threadpool threads that run the sync endpoints alike. Profiling slows the server down
(several times), so the absolute figures of such a run mean nothing; the shares do. The stats
are written as a pstats file to $KNOOPPUNT_BENCH_YAPPI_OUT when the server stops (SIGTERM or
exit). TCP_NODELAY is set as in serve_nodelay.py (a no-op once src/ sets it itself).
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
from types import FrameType

import yappi

import serve_nodelay  # noqa: F401 - applies the TCP_NODELAY wrapper
from knooppunt.cli.main import main


def _bewaar() -> None:
    if yappi.is_running():
        yappi.stop()
        yappi.get_func_stats().save(os.environ["KNOOPPUNT_BENCH_YAPPI_OUT"], type="pstat")


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    # `knooppunt serve` (workers=1) leaves SIGTERM at its default, which ends the process without
    # running atexit: save the profile first.
    _bewaar()
    os._exit(0)


if __name__ == "__main__":
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    atexit.register(_bewaar)
    signal.signal(signal.SIGTERM, _sigterm)
    sys.exit(main())
