"""The benchmark, in one command: the real service under `wrk`, beside a floor app doing only
the same database work, on SQLite and on PostgreSQL, with 1 and then 2 uvicorn workers.

    .venv/bin/python -m bench                 # the full run (~30 min), writes docs/benchmarks.md
    .venv/bin/python -m bench --quick         # a smoke run of a few seconds, writes bench/results/

For each engine it builds a fresh database with the real migrations, seeds it (bench/seed.py),
serves it with `rapport serve` pinned to one core (`taskset`) with `wrk` pinned to the other,
and runs every scenario `--runs` times for `--seconds` each after a warm-up, keeping the
median requests/s and the median p50/p99. It needs `wrk` and `taskset` (Debian: wrk,
util-linux). Results go to docs/benchmarks.md between its generated-table markers, and as JSON
to bench/results/.
"""

import argparse
import base64
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core import migrations
from app.core.config import Settings
from app.core.db import make_engine
from bench import seed

ROOT = Path(__file__).resolve().parents[1]
LUA = ROOT / "bench" / "lua"
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
# The scaling check times the connection's own work (queries and model), so its answers are
# not cached there: a cached answer would hide how the query grows with the table.
UNCACHED = {"CONNECTION_CACHE_ENTRIES": "0"}
CONNECTION_SAMPLE = 500  # active couples the connection scenario reads at random

# scenario → (server, lua script) ; server is "app" (rapport serve) or "floor"
SCENARIOS: dict[str, tuple[str, str]] = {
    "healthz": ("app", "get"),
    "prompts": ("app", "get"),
    "check_in": ("app", "checkin"),
    "connection": ("app", "get"),
    "connection_small": ("app", "get"),
    "floor_read": ("floor", "get"),
    "floor_insert": ("floor", "floor_insert"),
    "floor_window": ("floor", "get"),
}
TARGETS = [
    ("prompts", "healthz", 0.35, "`GET /v1/prompts?limit=20` ÷ `/healthz`"),
    ("check_in", "floor_insert", 0.7, "`POST …/check-ins` ÷ floor one-row insert"),
    ("connection", "floor_window", 0.7, "`GET …/connection` ÷ floor window query"),
]


@dataclass
class Options:
    engines: list[str]
    postgres_url: str
    couples: int
    check_ins: int
    small_check_ins: int
    tenants: int
    seconds: float
    warmup: float
    runs: int
    connections: int
    threads: int
    workers: list[int]
    memory_seconds: float
    server_core: int
    client_core: int
    port: int
    output: Path
    keep: bool


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a server where the bench may create and drop its own database",
    )
    parser.add_argument("--couples", type=int, default=10_000)
    parser.add_argument("--check-ins", type=int, default=1_000_000)
    parser.add_argument("--small-check-ins", type=int, default=10_000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--memory-seconds", type=float, default=60.0)
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--port", type=int, default=8811)
    parser.add_argument("--output", type=Path, default=DOC)
    parser.add_argument("--keep", action="store_true", help="keep the seeded databases")
    parser.add_argument(
        "--report-from",
        type=Path,
        help="rewrite the output's table from a saved run (bench/results/bench-*.json)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: tiny data, one short run each, SQLite only, output under bench/results",
    )
    args = parser.parse_args(argv)
    if args.report_from:
        report = json.loads(args.report_from.read_text())
        report["verdicts"] = verdicts(report)
        write_report(report, args.output)
        raise SystemExit(0)
    if args.quick:
        args.engines, args.couples, args.check_ins, args.small_check_ins = "sqlite", 60, 6000, 800
        args.tenants, args.seconds, args.warmup, args.runs = 3, 1.0, 0.3, 1
        args.connections, args.workers, args.memory_seconds = 8, "1", 2.0
        if args.output == DOC:
            args.output = RESULTS / "quick.md"
    return Options(
        engines=[e.strip() for e in args.engines.split(",") if e.strip()],
        postgres_url=args.postgres_url,
        couples=args.couples,
        check_ins=args.check_ins,
        small_check_ins=args.small_check_ins,
        tenants=args.tenants,
        seconds=args.seconds,
        warmup=args.warmup,
        runs=args.runs,
        connections=args.connections,
        threads=args.threads,
        workers=[int(w) for w in args.workers.split(",")],
        memory_seconds=args.memory_seconds,
        server_core=args.server_core,
        client_core=args.client_core,
        port=args.port,
        output=args.output,
        keep=args.keep,
    )


# -- databases -------------------------------------------------------------------------------


def create_database(engine_name: str, options: Options, workdir: Path) -> str:
    name = f"rapport_bench_{uuid.uuid4().hex[:8]}"
    if engine_name == "sqlite":
        return f"sqlite:///{workdir / (name + '.db')}"
    admin = make_engine(bench_settings(options.postgres_url, workdir))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(options.postgres_url).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, options: Options, workdir: Path) -> None:
    if url.startswith("sqlite"):
        return  # the work directory goes as a whole
    admin = make_engine(bench_settings(options.postgres_url, workdir))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


# Fixed, so a kept database (`--keep`) can be served again by hand with the same keys.
SECRETS = {
    "SECRET_KEY": "bench-secret-key-not-for-production-0123456789",
    "TOKEN_SECRET": "bench-token-secret-not-for-production-0123456789",
    "ENCRYPTION_KEY": base64.b64encode(b"bench-encryption-key-32-bytes!!!").decode(),
}


def bench_settings(url: str, workdir: Path) -> Settings:
    return Settings(
        environment="production",
        database_url=url,
        data_dir=workdir,
        secret_key=SecretStr(SECRETS["SECRET_KEY"]),
        token_secret=SecretStr(SECRETS["TOKEN_SECRET"]),
        encryption_key=SecretStr(SECRETS["ENCRYPTION_KEY"]),
    )


# -- servers ---------------------------------------------------------------------------------


def server_env(url: str, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        **SECRETS,
        "ENVIRONMENT": "production",
        "DATABASE_URL": url,
        "DATA_DIR": str(workdir),
        # Rate limiting stays on, with a limit above what one key sends here.
        "RATE_LIMIT_KEY_PER_MINUTE": "100000000",
    }


@contextmanager
def serving(
    kind: str,
    url: str,
    workers: int,
    options: Options,
    workdir: Path,
    env: dict[str, str] | None = None,
) -> Iterator[int]:
    """Start the real service (`rapport serve`) or the floor app pinned to the server core;
    yield the supervising process id once every worker answers."""
    python = Path(sys.executable)
    if kind == "app":
        command = [str(python.parent / "rapport"), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(options.port), "--workers", str(workers)]
    else:
        command = [str(python), "-m", "uvicorn", "--factory", "bench.floor:create_app"]
        command += ["--host", "127.0.0.1", "--port", str(options.port), "--workers", str(workers)]
        command += ["--log-level", "warning"]
    log = (workdir / f"{kind}-{workers}.log").open("ab")
    process = subprocess.Popen(
        ["taskset", "-c", str(options.server_core), *command],
        cwd=ROOT,
        env={**server_env(url, workdir), **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_serving(process, workers, options.port)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_serving(process: subprocess.Popen[bytes], workers: int, port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}; see its log")
        try:
            ready = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code < 500
        except httpx.HTTPError:
            ready = False
        if ready and len(worker_pids(process.pid, workers)) == workers:
            time.sleep(1.0)  # let every worker finish its start-up
            return
        time.sleep(0.2)
    raise SystemExit("the server did not start within 120 s")


def children(pid: int) -> list[int]:
    try:
        found = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def worker_pids(pid: int, workers: int) -> list[int]:
    """The processes serving requests: the server itself with one worker, else the children
    uvicorn spawned (not multiprocessing's resource tracker)."""
    if workers == 1:
        return [pid]
    pids = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            pids.append(child)
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- load ------------------------------------------------------------------------------------


def wrk(script: str, args: list[str], seconds: float, options: Options) -> dict[str, Any]:
    combined = Path(tempfile.mkstemp(suffix=".lua", prefix="bench-")[1])
    combined.write_text(
        (LUA / "common.lua").read_text() + "\n" + (LUA / f"{script}.lua").read_text()
    )
    try:
        command = ["taskset", "-c", str(options.client_core), "wrk"]
        command += ["-t", str(options.threads), "-c", str(options.connections)]
        command += ["-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", str(combined)]
        command += [f"http://127.0.0.1:{options.port}", "--", *args]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
    finally:
        combined.unlink()
    line = next(x for x in done.stdout.splitlines() if x.startswith("BENCH "))
    result: dict[str, Any] = json.loads(line[len("BENCH ") :])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


class Load:
    """What each scenario sends: fixture files, and check-in slots that never repeat."""

    def __init__(self, fixtures: dict[str, Path], writers: int, today_epoch: int) -> None:
        self.fixtures = fixtures
        self.writers = writers
        self.today_epoch = today_epoch
        self.next_slot = 0
        self.runs = 0

    def args(self, scenario: str, options: Options) -> list[str]:
        self.runs += 1
        if scenario == "check_in":
            return [
                str(self.fixtures["writers"]),
                str(self.next_slot),
                str(options.threads),
                str(self.today_epoch),
            ]
        if scenario == "mixed":
            return [
                str(self.fixtures["prompts"]),
                str(self.fixtures["connection"]),
                str(self.fixtures["writers"]),
                str(self.next_slot),
                str(options.threads),
                str(self.today_epoch),
            ]
        if scenario == "floor_insert":
            return [str(self.runs)]
        return [str(self.fixtures[scenario]), str(self.runs)]

    def used(self, scenario: str, result: dict[str, Any], options: Options) -> None:
        """Move past every slot a writing run may have taken (requests + those in flight)."""
        if scenario not in ("check_in", "mixed"):
            return
        self.next_slot += options.threads * (result["requests"] + options.connections + 1)
        if self.next_slot // self.writers >= seed.DAYS - 1:
            raise SystemExit("out of check-in slots: seed more `new` couples")


def prime(fixture: Path, workers: int, options: Options) -> None:
    """Read every path of `fixture` before timing it, so a scenario answered from a
    per-process cache is timed warm whatever the machine's speed (what a cold read costs is
    what the scaling check times, with the cache off). Each request opens its own connection,
    which the kernel hands to any worker; with `w` workers, 4·w passes leave a path unread
    by a given worker with probability (1 - 1/w)^(4·w), under 2%."""
    rows = sorted({tuple(line.split("\t")) for line in fixture.read_text().splitlines()})
    passes = 1 if workers == 1 else 4 * workers

    def read(row: tuple[str, ...]) -> None:
        auth, path = row[0], row[1]
        headers = {"Connection": "close", **({"Authorization": auth} if auth else {})}
        httpx.get(f"http://127.0.0.1:{options.port}{path}", headers=headers, timeout=60)

    with ThreadPoolExecutor(max_workers=options.connections // 2) as pool:
        for _ in range(passes):
            list(pool.map(read, rows))


def measure(scenario: str, load: Load, options: Options) -> dict[str, Any]:
    script = SCENARIOS[scenario][1] if scenario in SCENARIOS else scenario
    if options.warmup > 0:
        warm = wrk(script, load.args(scenario, options), options.warmup, options)
        load.used(scenario, warm, options)
    runs = []
    for _ in range(options.runs):
        result = wrk(script, load.args(scenario, options), options.seconds, options)
        load.used(scenario, result, options)
        runs.append(result)
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
        "non_2xx": sum(r["non_2xx"] for r in runs),
        "socket_errors": sum(r["socket_errors"] for r in runs),
        "runs": [round(r["rps"], 1) for r in runs],
    }


def memory_run(pid: int, workers: int, load: Load, options: Options) -> dict[str, Any]:
    """The mixed load for `memory_seconds`, sampling each worker's RSS every second, after
    the same warm-up as every other scenario (so start-up's one-off growth — imports
    touched, caches filled — is not counted as growth under load)."""
    pids = worker_pids(pid, workers)
    if options.warmup > 0:
        warm = wrk("mixed", load.args("mixed", options), options.warmup, options)
        load.used("mixed", warm, options)
    args = load.args("mixed", options)
    command_seconds = options.memory_seconds
    samples: dict[int, list[float]] = {p: [] for p in pids}
    combined = Path(tempfile.mkstemp(suffix=".lua", prefix="bench-")[1])
    combined.write_text((LUA / "common.lua").read_text() + "\n" + (LUA / "mixed.lua").read_text())
    command = ["taskset", "-c", str(options.client_core), "wrk"]
    command += ["-t", str(options.threads), "-c", str(options.connections)]
    command += ["-d", f"{max(1, round(command_seconds))}s", "--timeout", "10s", "-s", str(combined)]
    command += [f"http://127.0.0.1:{options.port}", "--", *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        while process.poll() is None:
            for p in pids:
                samples[p].append(rss_mb(p))
            time.sleep(1.0)
        out = process.stdout.read() if process.stdout else ""
    finally:
        combined.unlink()
    result = json.loads(next(x for x in out.splitlines() if x.startswith("BENCH "))[6:])
    load.used("mixed", result, options)
    per_worker = []
    for p, series in samples.items():
        quarter = max(1, len(series) // 4)
        first = statistics.mean(series[:quarter])
        last = statistics.mean(series[-quarter:])
        per_worker.append(
            {
                "pid": p,
                "rss_end_mb": round(series[-1], 1),
                "first_quarter_mb": round(first, 1),
                "last_quarter_mb": round(last, 1),
                "growth_pct": round((last - first) / first * 100, 2),
            }
        )
    return {
        "seconds": command_seconds,
        "requests": result["requests"],
        "non_2xx": result["non_2xx"],
        "workers": per_worker,
    }


# -- one engine ------------------------------------------------------------------------------


def write_fixture(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(row) + "\n" for row in rows))
    return path


def bench_engine(engine_name: str, options: Options, workdir: Path) -> dict[str, Any]:
    url = create_database(engine_name, options, workdir)
    log(f"[{engine_name}] database {make_url(url).database}")
    try:
        migrations.upgrade(url)
        settings = bench_settings(url, workdir)
        engine = make_engine(settings)
        pepper = settings.secret_key.get_secret_value().encode()
        keys = seed.tenants_and_keys(engine, pepper, options.tenants)
        seeder = seed.Seeder(engine, keys)

        started = time.monotonic()
        small = seeder.couples(seed.small_couples(options.small_check_ins), seed.ACTIVE_RATE)
        small_rows = seeder.dataset.check_ins
        if engine_name == "postgresql":
            seeder.analyze()
        auth = {secret: f"Bearer {secret}" for secret in seeder.dataset.keys}
        fixtures = {
            "healthz": write_fixture(workdir / "healthz.tsv", [["", "/healthz"]]),
            "prompts": write_fixture(
                workdir / "prompts.tsv", [[h, "/v1/prompts?limit=20"] for h in auth.values()]
            ),
            "connection_small": write_fixture(
                workdir / "connection_small.tsv",
                [[auth[p.key], f"/v1/couples/{p.couple_id}/connection"] for p in small],
            ),
        }
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        result: dict[str, Any] = {"engine": engine_name}
        log(f"[{engine_name}] measuring connection with {small_rows} check-ins")
        with serving("app", url, 1, options, workdir, UNCACHED):
            scaling_small = measure(
                "connection_small", Load(fixtures, 1, int(today.timestamp())), options
            )

        plan = seed.plan(options.couples - len(small), options.check_ins - small_rows)
        active = seeder.couples(*plan["active"])
        seeder.couples(*plan["occasional"])
        new = seeder.couples(*plan["new"])
        seeder.analyze()
        result["data"] = {
            "tenants": options.tenants,
            "couples": seeder.dataset.couples,
            "check_ins": seeder.dataset.check_ins,
            "seed_seconds": round(time.monotonic() - started, 1),
        }
        log(f"[{engine_name}] seeded {result['data']}")
        sample = (active * (CONNECTION_SAMPLE // max(1, len(active)) + 1))[:CONNECTION_SAMPLE]
        connection_rows = [[auth[p.key], f"/v1/couples/{p.couple_id}/connection"] for p in sample]
        fixtures["connection"] = write_fixture(workdir / "connection.tsv", connection_rows)
        fixtures["floor_window"] = write_fixture(
            workdir / "floor_window.tsv", [["", f"/window/{p.couple_id}"] for p in sample]
        )
        fixtures["floor_read"] = write_fixture(
            workdir / "floor_read.tsv", [["", f"/read/{p.members[0]}"] for p in sample]
        )
        writers = [[auth[p.key], p.couple_id, m] for p in new for m in p.members]
        fixtures["writers"] = write_fixture(workdir / "writers.tsv", writers)
        load = Load(fixtures, len(writers), int(today.timestamp()))
        engine.dispose()

        result["workers"] = {}
        for workers in options.workers:
            scenarios: dict[str, Any] = {}
            with serving("app", url, workers, options, workdir):
                for scenario in ("healthz", "prompts", "check_in", "connection"):
                    log(f"[{engine_name}] {workers} worker(s): {scenario}")
                    if scenario == "connection":
                        prime(fixtures["connection"], workers, options)
                    scenarios[scenario] = measure(scenario, load, options)
            if workers == 1:
                log(f"[{engine_name}] measuring connection with the full data")
                with serving("app", url, 1, options, workdir, UNCACHED):
                    large = measure("connection_small", load, options)
                result["scaling"] = {
                    "small": {"check_ins": small_rows, **scaling_small},
                    "large": {"check_ins": seeder.dataset.check_ins, **large},
                }
            with serving("floor", url, workers, options, workdir):
                for scenario in ("floor_read", "floor_insert", "floor_window"):
                    log(f"[{engine_name}] {workers} worker(s): {scenario}")
                    scenarios[scenario] = measure(scenario, load, options)
            result["workers"][str(workers)] = scenarios

        most = max(options.workers)
        log(f"[{engine_name}] memory: {options.memory_seconds:.0f} s of mixed load, {most} workers")
        with serving("app", url, most, options, workdir) as pid:
            result["memory"] = {"workers_count": most, **memory_run(pid, most, load, options)}
        return result
    finally:
        if not options.keep:
            drop_database(url, options, workdir)


# -- report ----------------------------------------------------------------------------------


def environment(options: Options) -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    versions = {
        name: metadata.version(name)
        for name in (
            "fastapi",
            "starlette",
            "pydantic",
            "sqlmodel",
            "sqlalchemy",
            "uvicorn",
            "psycopg",
        )
    }
    versions["python"] = platform.python_version()
    versions["sqlite"] = sqlite3.sqlite_version
    if "postgresql" in options.engines:
        engine = make_engine(bench_settings(options.postgres_url, RESULTS))
        with engine.connect() as conn:
            versions["postgresql"] = str(conn.execute(text("SHOW server_version")).scalar())
        engine.dispose()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    versions["wrk"] = wrk_version.split()[1] if wrk_version else "?"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}",
        "versions": versions,
        "load": f"wrk -t{options.threads} -c{options.connections}, {options.runs} runs × "
        f"{options.seconds:g} s after {options.warmup:g} s of warm-up; server on core "
        f"{options.server_core}, wrk on core {options.client_core}",
    }


def verdicts(report: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for result in report["engines"]:
        engine = result["engine"]
        for workers, scenarios in result["workers"].items():
            for scenario, base, target, label in TARGETS:
                ratio = scenarios[scenario]["rps"] / scenarios[base]["rps"]
                checks.append(
                    {
                        "engine": engine,
                        "workers": workers,
                        "check": label,
                        "value": ratio,
                        "target": f"≥ {target}",
                        "met": ratio >= target,
                    }
                )
            for scenario, numbers in scenarios.items():
                ratio = numbers["p99_ms"] / max(numbers["p50_ms"], 1e-3)
                if SCENARIOS[scenario][0] == "floor":
                    continue  # the floor is the yardstick, not the service: shown, not judged
                checks.append(
                    {
                        "engine": engine,
                        "workers": workers,
                        "check": f"p99 ÷ p50, {scenario}",
                        "value": ratio,
                        "target": "≤ 5",
                        "met": ratio <= 5,
                    }
                )
                errors = numbers["non_2xx"] + numbers["socket_errors"]
                checks.append(
                    {
                        "engine": engine,
                        "workers": workers,
                        "check": f"errors, {scenario}",
                        "value": errors,
                        "target": "0",
                        "met": errors == 0,
                    }
                )
        scaling = result["scaling"]
        ratio = scaling["large"]["p50_ms"] / scaling["small"]["p50_ms"]
        checks.append(
            {
                "engine": engine,
                "workers": "1",
                "check": f"connection p50 at {scaling['large']['check_ins']:,} ÷ at "
                f"{scaling['small']['check_ins']:,} check-ins",
                "value": ratio,
                "target": "≤ 1.2",
                "met": ratio <= 1.2,
            }
        )
        memory = result["memory"]
        for index, worker in enumerate(memory["workers"]):
            checks.append(
                {
                    "engine": engine,
                    "workers": str(memory["workers_count"]),
                    "check": f"worker {index + 1} RSS at the end (MB)",
                    "value": worker["rss_end_mb"],
                    "target": "≤ 150",
                    "met": worker["rss_end_mb"] <= 150,
                }
            )
            checks.append(
                {
                    "engine": engine,
                    "workers": str(memory["workers_count"]),
                    "check": f"worker {index + 1} RSS growth, first → last quarter (%)",
                    "value": worker["growth_pct"],
                    "target": "< 10",
                    "met": worker["growth_pct"] < 10,
                }
            )
    return checks


def markdown(report: dict[str, Any]) -> str:
    env = report["environment"]
    lines = [
        f"Generated by `python -m bench` on {env['date']}.",
        "",
        f"- Machine: {env['machine']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items()),
        f"- Load: {env['load']}",
    ]
    for result in report["engines"]:
        data = result["data"]
        lines += [
            "",
            f"### {result['engine']}: {data['tenants']} tenants, {data['couples']:,} couples, "
            f"{data['check_ins']:,} check-ins (seeded in {data['seed_seconds']} s)",
            "",
            "| workers | scenario | req/s (median) | p50 ms | p99 ms | p99/p50 | non-2xx "
            "| runs (req/s) |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        for workers, scenarios in result["workers"].items():
            for scenario, n in scenarios.items():
                lines.append(
                    f"| {workers} | {scenario} | {n['rps']:,.0f} | {n['p50_ms']:.2f} | "
                    f"{n['p99_ms']:.2f} | {n['p99_ms'] / max(n['p50_ms'], 1e-3):.1f} | "
                    f"{n['non_2xx'] + n['socket_errors']} | {', '.join(map(str, n['runs']))} |"
                )
        s = result["scaling"]
        lines += [
            "",
            f"Connection for the same {s['small']['check_ins']:,}-check-in couples, 1 worker: "
            f"p50 {s['small']['p50_ms']:.2f} ms with {s['small']['check_ins']:,} check-ins in "
            f"the database, {s['large']['p50_ms']:.2f} ms with {s['large']['check_ins']:,} "
            f"(p99 {s['small']['p99_ms']:.2f} → {s['large']['p99_ms']:.2f} ms).",
        ]
        m = result["memory"]
        lines += [
            "",
            f"Memory, {m['seconds']:.0f} s of mixed load ({m['requests']:,} requests, "
            f"{m['non_2xx']} non-2xx) on {m['workers_count']} worker(s): "
            + "; ".join(
                f"worker {i + 1} {w['first_quarter_mb']} → {w['last_quarter_mb']} MB "
                f"({w['growth_pct']:+.1f}%), {w['rss_end_mb']} MB at the end"
                for i, w in enumerate(m["workers"])
            )
            + ".",
        ]
    lines += [
        "",
        "### Targets",
        "",
        "| engine | workers | check | measured | target | met |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for c in report["verdicts"]:
        value = c["value"]
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        lines.append(
            f"| {c['engine']} | {c['workers']} | {c['check']} | {shown} | {c['target']} | "
            f"{'yes' if c['met'] else '**no**'} |"
        )
    return "\n".join(lines) + "\n"


def write_report(report: dict[str, Any], output: Path) -> None:
    table = markdown(report)
    output.parent.mkdir(parents=True, exist_ok=True)
    current = output.read_text() if output.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in current:
        current += f"\n{BEGIN}\n{END}\n"
    head, rest = current.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    output.write_text(f"{head}{BEGIN}\n{table}{END}{tail}")


def log(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    options = parse_args(argv)
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            raise SystemExit(f"`{tool}` is not installed (Debian: apt-get install wrk util-linux)")
    if max(options.server_core, options.client_core) >= (os.cpu_count() or 1):
        raise SystemExit("--server-core/--client-core name a core this machine does not have")
    RESULTS.mkdir(exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=RESULTS))
    report: dict[str, Any] = {"environment": environment(options), "engines": []}
    try:
        for engine_name in options.engines:
            report["engines"].append(bench_engine(engine_name, options, workdir))
    finally:
        if options.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["verdicts"] = verdicts(report)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    saved = RESULTS / f"bench-{stamp}.json"
    saved.write_text(json.dumps(report, indent=2, default=str))
    write_report(report, options.output)
    missed = [c for c in report["verdicts"] if not c["met"]]
    summary = {"output": str(options.output), "json": str(saved)}
    summary |= {"checks": len(report["verdicts"]), "missed": len(missed)}
    print(json.dumps(summary))
