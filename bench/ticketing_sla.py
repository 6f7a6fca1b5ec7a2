"""The SLA side of `bench/ticketing.py`: the clocks a real base holds, loaded set-based beside
the tickets; a ticket whose clocks have 50 periods, for `GET …/sla`; and the worker's SLA
pass over 1,000 due clocks beside a bare set-based equivalent.

The clocks are what the service writes (`sla/service.py`), two per ticket: time to own (TTO)
runs until the ticket is first assigned (its `updated_at` in the loaded data), time to
resolve (TTR) until it is solved or cancelled, paused while pending. Running clocks carry
`running_since`, `deadline`, `warn_at` and `next_check_at`; paused and stopped ones none of
these. Their deadlines are computed in SQL from a week's share of open hours (36 of 168:
`OPENING_HOURS`), not day by day as the service does: the worker only reads a stored
deadline, never recomputes it, so the pass measured does not depend on its exactness.

The base is loaded as the worker would have left it had it run until a day from now: every
warning and breach due by then is already announced (no clock is due, or comes due during
the run, by itself). Then exactly `DUE` running clocks are made due again, as after a
worker's outage: half of them (as far as the data has them) due for their 75 % warning,
the rest for their breach. Their state is kept in `bench_baseline.sla_due`, so that each
pass starts from the same due set.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from statistics import median
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg

from bench.ticketing_data import OPEN_HOURS_PER_WEEK, OPENING_HOURS, TECHNICIANS, site_code

if TYPE_CHECKING:
    from ticketing.settings import TicketingSettings

DUE = 1_000
WALL_PER_BUSINESS = 168 / OPEN_HOURS_PER_WEEK
# Beyond the run's length: a clock not made due cannot come due while it lasts.
CAUGHT_UP = "1 day"

CLOCKS_SQL = """
WITH clocks AS (
    SELECT t.id AS ticket_id, k.kind, t.priority, t.created_at, t.updated_at,
           CASE k.kind WHEN 'tto' THEN g.tto_minutes ELSE g.ttr_minutes END AS target_minutes,
           CASE WHEN k.kind = 'tto' AND t.status <> 'new' THEN t.updated_at
                WHEN k.kind = 'ttr' AND t.status IN ('solved', 'closed') THEN t.solved_at
                WHEN k.kind = 'ttr' AND t.status = 'cancelled' THEN t.closed_at END AS stopped_at,
           CASE WHEN k.kind = 'tto' AND t.status <> 'new' THEN 'assigned'
                WHEN k.kind = 'ttr' AND t.status IN ('solved', 'closed') THEN 'solved'
                WHEN k.kind = 'ttr' AND t.status = 'cancelled' THEN 'cancelled' END AS ended_by,
           k.kind = 'ttr' AND t.status = 'pending' AS paused
    FROM ticketing.ticket AS t
    JOIN ticketing.sla_target AS g ON g.priority = t.priority
    CROSS JOIN (VALUES ('tto'), ('ttr')) AS k (kind)
), timed AS (
    SELECT clocks.*,
           stopped_at IS NULL AND NOT paused AS running,
           created_at + target_minutes * interval '1 minute' * %(factor)s AS due_at,
           created_at + target_minutes * interval '45 seconds' * %(factor)s AS warn_due_at,
           -- a paused TTR ran until the ticket went pending (`updated_at`)
           round(extract(epoch FROM coalesce(stopped_at, updated_at) - created_at)
                 / %(factor)s)::int AS spent
    FROM clocks
)
INSERT INTO ticketing.sla_clock (
    ticket_id, kind, priority, target_minutes, elapsed_seconds, running_since, deadline,
    warn_at, stopped_at, ended_by, warned_deadline, breached_deadline, next_check_at)
SELECT ticket_id, kind, priority, target_minutes,
       CASE WHEN running THEN 0 ELSE spent END,
       CASE WHEN running THEN created_at END,
       CASE WHEN running THEN due_at END,
       CASE WHEN running THEN warn_due_at END,
       stopped_at, ended_by,
       CASE WHEN running AND warn_due_at <= now() + interval '%(caught_up)s'
              OR NOT running AND spent >= target_minutes * 45 THEN due_at END,
       CASE WHEN running AND due_at <= now() + interval '%(caught_up)s'
              OR NOT running AND spent >= target_minutes * 60 THEN due_at END,
       CASE WHEN running AND warn_due_at > now() + interval '%(caught_up)s' THEN warn_due_at
            WHEN running AND due_at > now() + interval '%(caught_up)s' THEN due_at END
FROM timed
"""
# Every clock's first period, open while it runs; then the pending tickets' open pauses.
PERIODS_SQL = (
    "INSERT INTO ticketing.sla_period (ticket_id, kind, started_at, ended_at, paused, reason) "
    "SELECT c.ticket_id, c.kind, t.created_at, CASE WHEN c.running_since IS NULL THEN "
    "coalesce(c.stopped_at, t.updated_at) END, false, $1 "
    "FROM ticketing.sla_clock AS c JOIN ticketing.ticket AS t ON t.id = c.ticket_id",
    "INSERT INTO ticketing.sla_period (ticket_id, kind, started_at, ended_at, paused, reason) "
    "SELECT c.ticket_id, c.kind, t.updated_at, NULL, true, $1 "
    "FROM ticketing.sla_clock AS c JOIN ticketing.ticket AS t ON t.id = c.ticket_id "
    "WHERE c.kind = 'ttr' AND t.status = 'pending'",
)
# A warning is chosen only if its deadline stays ahead after the pass moved to it.
MAKE_DUE_SQL = """
WITH candidates AS (
    SELECT ticket_id, kind, deadline > now() AS warning,
           row_number() OVER (PARTITION BY deadline > now()
                              ORDER BY md5(ticket_id::text || kind)) AS n
    FROM ticketing.sla_clock
    WHERE running_since IS NOT NULL AND warn_at <= now()
      AND (deadline <= now() OR deadline > now() + interval '%(caught_up)s')
), chosen AS (
    SELECT ticket_id, kind, warning FROM candidates
    ORDER BY CASE WHEN warning AND n <= $1 / 2 THEN 0 WHEN NOT warning THEN 1 ELSE 2 END, n
    LIMIT $1
)
UPDATE ticketing.sla_clock AS c
SET warned_deadline = CASE WHEN chosen.warning THEN NULL ELSE c.deadline END,
    breached_deadline = NULL,
    next_check_at = CASE WHEN chosen.warning THEN c.warn_at ELSE c.deadline END
FROM chosen
WHERE c.ticket_id = chosen.ticket_id AND c.kind = chosen.kind
"""
DUE_COUNT_SQL = "SELECT count(*) FROM ticketing.sla_clock WHERE next_check_at <= now()"
RESET_SQL = (
    "UPDATE ticketing.sla_clock AS c SET warned_deadline = s.warned_deadline, "
    "breached_deadline = s.breached_deadline, next_check_at = s.next_check_at "
    "FROM bench_baseline.sla_due AS s WHERE c.ticket_id = s.ticket_id AND c.kind = s.kind"
)
# The baseline: the due clocks found, cleared and announced in one set-based statement.
BARE_PASS_SQL = """
WITH due AS (
    UPDATE ticketing.sla_clock SET next_check_at = NULL
    WHERE next_check_at <= now()
    RETURNING ticket_id, kind, deadline, target_minutes
)
INSERT INTO ticketing.outbox (id, routing_key, subject, envelope)
SELECT gen_random_uuid(), 'bench.sla_bare', t.reference,
       jsonb_build_object('ticket_id', t.id, 'reference', t.reference, 'title', t.title,
                          'status', t.status, 'priority', t.priority, 'site_code', t.site_code,
                          'assignee', t.assignee, 'clock', due.kind, 'deadline', due.deadline,
                          'target_minutes', due.target_minutes)
FROM due JOIN ticketing.ticket AS t ON t.id = due.ticket_id
"""
EVENT_TYPES = ("ticketing.ticket.sla_warned.v1", "ticketing.ticket.sla_breached.v1")


async def load_clocks(conn: asyncpg.Connection) -> dict[str, Any]:
    """Every ticket's two clocks and their periods, then the due set; timed. The two tables'
    secondary indexes and foreign keys are dropped for the load and made again from their own
    definitions (one sort, one validating join each)."""
    from ticketing.sla.service import PAUSE_REASONS, RUNNING
    from ticketing.tickets.models import PendingReason

    started = time.perf_counter()
    foreign_keys = await conn.fetch(
        "SELECT conrelid::regclass::text AS owner, conname, pg_get_constraintdef(oid) AS def "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN "
        "('ticketing.sla_clock', 'ticketing.sla_period')"
    )
    for key in foreign_keys:
        await conn.execute(f'ALTER TABLE {key["owner"]} DROP CONSTRAINT "{key["conname"]}"')
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'ticketing' AND "
        "tablename IN ('sla_clock', 'sla_period') "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
    )
    for index in indexes:
        await conn.execute(f'DROP INDEX ticketing."{index["indexname"]}"')
    sql = CLOCKS_SQL % {"factor": WALL_PER_BUSINESS, "caught_up": CAUGHT_UP}
    await conn.execute(sql)
    await conn.execute(PERIODS_SQL[0], RUNNING)
    await conn.execute(PERIODS_SQL[1], PAUSE_REASONS[PendingReason.USER])
    for index in indexes:
        await conn.execute(index["indexdef"])
    for key in foreign_keys:
        await conn.execute(
            f'ALTER TABLE {key["owner"]} ADD CONSTRAINT "{key["conname"]}" {key["def"]}'
        )
    await conn.execute(MAKE_DUE_SQL % {"caught_up": CAUGHT_UP}, DUE)
    await conn.execute(
        "CREATE TABLE bench_baseline.sla_due AS SELECT ticket_id, kind, warned_deadline, "
        "breached_deadline, next_check_at FROM ticketing.sla_clock WHERE next_check_at <= now()"
    )
    due = await conn.fetchval(DUE_COUNT_SQL)
    if due != DUE:
        raise RuntimeError(f"{due} clocks are due after the load, not {DUE}")
    seconds = round(time.perf_counter() - started, 1)
    shape = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM ticketing.sla_clock) AS clocks, "
        "(SELECT count(*) FROM ticketing.sla_clock WHERE running_since IS NOT NULL) AS running, "
        "(SELECT count(*) FROM ticketing.sla_clock WHERE next_check_at IS NOT NULL) AS waiting, "
        "(SELECT count(*) FROM ticketing.sla_period) AS periods"
    )
    return {"sla_seconds": seconds, **{f"sla_{key}": value for key, value in shape.items()}}


async def vacuum_clocks(conn: asyncpg.Connection) -> str:
    for table in ("sla_clock", "sla_period"):
        await conn.execute(f"VACUUM (ANALYZE) ticketing.{table}")
    await conn.execute("ANALYZE bench_baseline.sla_due")
    size: str = await conn.fetchval(
        "SELECT pg_size_pretty(pg_total_relation_size('ticketing.sla_clock') "
        "+ pg_total_relation_size('ticketing.sla_period'))"
    )
    return size


# --- the ticket with 50 periods -------------------------------------------------------------

# Monday 5 October 2026, two weeks before the Toussaint holidays (17 October - 1 November,
# every zone; 1 November a Sunday and a public holiday), then to mid-November past Armistice
# Day (Wednesday 11 November): 25 running spans and 24 pending pauses of varied lengths.
SLA_TICKET_START = datetime(2026, 10, 5, 8, 30, tzinfo=ZoneInfo("Europe/Paris"))
RUNNING_HOURS = (6, 26, 3, 49, 22)
PAUSED_HOURS = (18, 2, 40, 27)
TTO_MINUTES = 45
# What the ticket's explanation must show: the spans it was built to cross.
EXPECTED_REASONS = ("week-end", "jour férié", "vacances scolaires", "pause déjeuner", "en attente")

Span = tuple[datetime, datetime, bool, str]  # start, end, paused, reason


def ttr_spans() -> list[Span]:
    from ticketing.sla.service import PAUSE_REASONS, RUNNING

    reasons = list(PAUSE_REASONS.values())
    spans: list[Span] = []
    cursor = SLA_TICKET_START.astimezone(UTC)
    for n in range(25):
        end = cursor + timedelta(hours=RUNNING_HOURS[n % len(RUNNING_HOURS)])
        spans.append((cursor, end, False, RUNNING))
        cursor = end
        if n < 24:
            end = cursor + timedelta(hours=PAUSED_HOURS[n % len(PAUSED_HOURS)])
            spans.append((cursor, end, True, reasons[n % len(reasons)]))
            cursor = end
    return spans


async def add_sla_ticket(url: str) -> str:
    """A solved ticket of the first site whose clocks have 50 periods in all (TTO one, TTR
    49), their elapsed times counted by the service's own calendar; its reference."""
    from guichet_common.db import libpq_dsn
    from ticketing.sla.business_time import SiteCalendar, business_time
    from ticketing.sla.service import RUNNING

    calendar = SiteCalendar.from_park(ZoneInfo("Europe/Paris"), "B", "45", OPENING_HOURS)
    start = SLA_TICKET_START.astimezone(UTC)
    owned = start + timedelta(minutes=TTO_MINUTES)
    spans = ttr_spans()
    solved = spans[-1][1]
    if solved >= datetime.now(UTC):
        raise RuntimeError(f"the SLA ticket's periods end {solved}, after now")
    tto_spent = business_time(calendar, start, owned)
    ttr_spent = sum(
        (business_time(calendar, s, e) for s, e, paused, _ in spans if not paused), timedelta()
    )
    conn = await asyncpg.connect(libpq_dsn(url))
    try:
        async with conn.transaction():
            number = await conn.fetchval(
                "INSERT INTO ticketing.reference_counter (kind, year, last_value) "
                "VALUES ('INC', $1, 1) ON CONFLICT (kind, year) DO UPDATE "
                "SET last_value = reference_counter.last_value + 1 RETURNING last_value",
                SLA_TICKET_START.year,
            )
            reference = f"INC-{SLA_TICKET_START.year}-{number:06d}"
            login, name = TECHNICIANS[0]
            ticket = await conn.fetchrow(
                "INSERT INTO ticketing.ticket (id, reference, type, status, title, description, "
                "category_code, category_label, urgency, impact, priority, site_code, site_name, "
                "room_code, channel, opened_by, requester_name, requester_email, assignee, "
                "assignee_name, group_code, group_name, search, created_at, updated_at, "
                "solved_at) SELECT gen_random_uuid(), $1, type, 'solved', title, description, "
                "category_code, category_label, urgency, impact, priority, site_code, site_name, "
                "room_code, channel, opened_by, requester_name, requester_email, $2, $3, "
                "group_code, group_name, search, $4, $5, $5 FROM ticketing.ticket "
                "WHERE site_code = $6 AND group_code IS NOT NULL AND requester_email IS NOT NULL "
                "ORDER BY created_at DESC LIMIT 1 RETURNING id, priority",
                reference,
                login,
                name,
                start,
                solved,
                site_code(1),
            )
            target = await conn.fetchrow(
                "SELECT tto_minutes, ttr_minutes FROM ticketing.sla_target WHERE priority = $1",
                ticket["priority"],
            )
            await conn.executemany(
                "INSERT INTO ticketing.sla_clock (ticket_id, kind, priority, target_minutes, "
                "elapsed_seconds, stopped_at, ended_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [
                    (ticket["id"], "tto", ticket["priority"], target["tto_minutes"],
                     round(tto_spent.total_seconds()), owned, "assigned"),
                    (ticket["id"], "ttr", ticket["priority"], target["ttr_minutes"],
                     round(ttr_spent.total_seconds()), solved, "solved"),
                ],
            )  # fmt: skip
            await conn.executemany(
                "INSERT INTO ticketing.sla_period (ticket_id, kind, started_at, ended_at, "
                "paused, reason) VALUES ($1, $2, $3, $4, $5, $6)",
                [(ticket["id"], "tto", start, owned, False, RUNNING)]
                + [(ticket["id"], "ttr", *span) for span in spans],
            )
    finally:
        await conn.close()
    return reference


def check_explanation(body: dict[str, Any]) -> int:
    """The ticket's explanation crosses what it was built to cross; its number of segments."""
    segments = [segment for clock in body["clocks"] for segment in clock["segments"]]
    reasons = " | ".join({segment["reason"] for segment in segments})
    missing = [reason for reason in EXPECTED_REASONS if reason not in reasons]
    if missing:
        raise RuntimeError(f"the SLA ticket's segments lack {missing}: {reasons}")
    return len(segments)


# --- the worker's pass ------------------------------------------------------------------------


async def measure_pass(url: str, settings: TicketingSettings, rounds: int) -> dict[str, Any]:
    """The worker's SLA timer as the worker runs it (its `WorkerContext` built as
    `ServiceWorker.start_producing` builds it), once per round, beside the bare statement,
    each from the same `DUE` due clocks; the order alternates between rounds, after one
    warm-up of each (not counted). Each pass is checked: `DUE` events written, none due."""
    from guichet_common.db import libpq_dsn
    from guichet_common.runtime import Resources, WorkerContext
    from ticketing.main import definition
    from ticketing.sla.handlers import check_clocks

    service = definition(settings)
    (timer,) = [timer for timer in service.timers if timer.run is check_clocks]
    resources = Resources.open(service)
    conn = await asyncpg.connect(libpq_dsn(url))

    async def start() -> int:
        await conn.execute(RESET_SQL)
        due = await conn.fetchval(DUE_COUNT_SQL)
        if due != DUE:
            raise RuntimeError(f"{due} clocks are due before a pass, not {DUE}")
        last: int = await conn.fetchval("SELECT coalesce(max(seq), 0) FROM ticketing.outbox")
        return last

    async def written(since: int) -> dict[str, int]:
        rows = await conn.fetch(
            "SELECT routing_key, count(*) FROM ticketing.outbox WHERE seq > $1 GROUP BY 1", since
        )
        left = await conn.fetchval(DUE_COUNT_SQL)
        counts = {row[0]: row[1] for row in rows}
        if sum(counts.values()) != DUE or left:
            raise RuntimeError(f"a pass wrote {counts} and left {left} clocks due")
        return counts

    try:
        async with service.lifespan(settings) as state:
            context = WorkerContext(settings, resources.session_factory, state)

            async def worker() -> tuple[float, dict[str, int]]:
                since = await start()
                started = time.perf_counter()
                await timer.run(context)
                seconds = time.perf_counter() - started
                events = await written(since)
                if set(events) - set(EVENT_TYPES):
                    raise RuntimeError(f"the worker wrote {events}")
                return seconds, events

            async def bare() -> tuple[float, dict[str, int]]:
                since = await start()
                started = time.perf_counter()
                await conn.execute(BARE_PASS_SQL)
                return time.perf_counter() - started, await written(since)

            warm = {"worker": (await worker())[0], "bare": (await bare())[0]}
            runs: list[dict[str, float]] = []
            events: dict[str, int] = {}
            for n in range(rounds):
                sides = {"worker": worker, "bare": bare}
                order = list(sides) if n % 2 == 0 else list(reversed(sides))
                run: dict[str, float] = {}
                for side in order:
                    seconds, counts = await sides[side]()
                    run[side] = seconds
                    events = counts if side == "worker" else events
                runs.append(run)
    finally:
        await conn.close()
        await resources.close()
    worker_ms = [round(run["worker"] * 1000, 1) for run in runs]
    bare_ms = [round(run["bare"] * 1000, 1) for run in runs]
    return {
        "warm_up_ms": {side: round(seconds * 1000, 1) for side, seconds in warm.items()},
        "worker_ms": worker_ms,
        "bare_ms": bare_ms,
        # As the other ratios: the service's rate over the baseline's (bare time / worker time).
        "round_ratios": [round(b / w, 3) for w, b in zip(worker_ms, bare_ms, strict=True)],
        "worker_median_ms": median(worker_ms),
        "bare_median_ms": median(bare_ms),
        "ratio": round(median(bare_ms) / median(worker_ms), 3),
        "events": {key.split(".")[-2]: value for key, value in sorted(events.items())},
        "batch_size": settings.sla_batch_size,
    }


def pass_lines(measured: dict[str, Any]) -> list[str]:
    worker, bare = measured["worker_median_ms"], measured["bare_median_ms"]
    events = ", ".join(f"{count} {kind}" for kind, count in measured["events"].items())
    return [
        f"(f) SLA pass, {DUE:,} due clocks ({events}; batches of {measured['batch_size']}): "
        f"worker {worker} ms ({round(DUE / worker * 1000)}/s), bare UPDATE + INSERT … SELECT "
        f"{bare} ms; ratio {measured['ratio']} (the worker takes {round(worker / bare, 1)}x)",
        f"    per round (alternating): worker {measured['worker_ms']} ms, bare "
        f"{measured['bare_ms']} ms, ratio {measured['round_ratios']}; warm-up (not counted) "
        f"{measured['warm_up_ms']}",
    ]


def pass_summary(measured: dict[str, Any]) -> dict[str, Any]:
    return {
        "sla_pass_ms": measured["worker_median_ms"],
        "sla_pass_bare_ms": measured["bare_median_ms"],
        "sla_pass_events": measured["events"],
        "sla_pass_round_ratios": measured["round_ratios"],
        "sla_pass_ratio": measured["ratio"],
    }
