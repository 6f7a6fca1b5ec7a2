"""The imaging worker: `python -m imaging.worker` (outbox relay, consumers, timers)."""

from __future__ import annotations

from guichet_common.runtime import run_worker
from imaging.main import definition


def main() -> None:
    run_worker(definition())


if __name__ == "__main__":
    main()
