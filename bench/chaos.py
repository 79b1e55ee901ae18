"""Outside-in chaos against an isolated store: SIGSEGV, SIGABRT, SIGKILL and SIGSTOP sent to its worker at random
(seeded) moments under 6 writer and 2 reader threads, each while calls are in flight, then the doctor, repair, and
every acknowledged id read back (issues 11 and 13; the harness is :mod:`vectorstore.chaos`). Exit 1 when anything
was lost, unreadable, wrong, untyped or stuck.

    python bench/chaos.py --faults 1000 --interval 0.05 0.25 --timeout 2 --cooldown 1   # issue 13's run
    python bench/chaos.py --faults 300 --interval 0.5 1.5
    python bench/chaos.py --seconds 60
    python bench/chaos.py --backend qdrant --seconds 60      # qdrant:///path?isolation=process
    python bench/chaos.py --url chroma:///data/chaos --faults 50
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile

from vectorstore import chaos

URLS = {"chroma": "chroma://{path}/store", "qdrant": "qdrant://{path}/store?isolation=process"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=sorted(URLS), default="chroma", help="a new store in a temporary directory")
    parser.add_argument("--url", help="an isolated store of your own instead (its collection 'chaos' is written)")
    parser.add_argument("--seconds", type=float, help="stop after this long")
    parser.add_argument("--faults", type=int, help="stop after this many faults")
    parser.add_argument("--interval", type=float, nargs=2, default=(0.5, 2.0), metavar=("MIN", "MAX"),
                        help="seconds from a restarted worker's first call to the next fault (default 0.5 2.0)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=5.0, help="the store's timeout_s: what a SIGSTOP costs")
    parser.add_argument("--cooldown", type=float, help="the store's circuit cool-down in seconds (default: 30)")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--dimension", type=int, default=64)
    parser.add_argument("--max-ids", type=int, default=30_000, help="then the writers churn their own ids")
    parser.add_argument("--quiet", action="store_true", help="no progress lines (each fault and repair) on stderr")
    parser.add_argument("--events", help="append the isolation events (crashes, restarts, timeouts) to this file")
    parser.add_argument("--kinds", nargs="+", default=list(chaos.SIGNALS), choices=list(chaos.SIGNALS))
    args = parser.parse_args()
    if args.seconds is None and args.faults is None:
        parser.error("give --seconds or --faults (or both)")
    events = logging.getLogger("vectorstore.events")
    events.propagate = False  # a crash a second is the point, not news for the terminal
    events.addHandler(logging.NullHandler())  # (without a handler, logging's last resort prints warnings anyway)
    if args.events:
        handler = logging.FileHandler(args.events)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        events.addHandler(handler)
        events.setLevel(logging.INFO)
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="chaos-") as path:
        settings = chaos.Settings(
            url=args.url or URLS[args.backend].format(path=path), seconds=args.seconds, faults=args.faults,
            seed=args.seed, interval=tuple(args.interval), timeout_s=args.timeout, circuit_cooldown_s=args.cooldown, batch=args.batch,
            dimension=args.dimension, max_ids=args.max_ids, kinds=tuple(args.kinds),
        )
        report = chaos.run(settings, progress)
    print("\n".join(report.lines()))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
