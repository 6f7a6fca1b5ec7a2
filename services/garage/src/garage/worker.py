"""The garage worker: `python -m garage.worker` (outbox relay, consumers, timers)."""

from __future__ import annotations

from garage.main import definition
from guichet_common.runtime import run_worker


def main() -> None:
    run_worker(definition())


if __name__ == "__main__":
    main()
