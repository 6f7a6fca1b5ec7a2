"""The notifier worker: `python -m notifier.worker` (outbox relay, consumers, timers)."""

from __future__ import annotations

from guichet_common.runtime import run_worker
from notifier.main import definition


def main() -> None:
    run_worker(definition())


if __name__ == "__main__":
    main()
