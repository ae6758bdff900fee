"""Helpers shared by the benchmarks in bench/: corpora, child processes, run facts, tables.

Each benchmark runs every contender in a fresh interpreter (the same script, called
with a hidden ``--child`` option) that writes its figures, or its error, to
result.json in its own directory; the parent collects them with `spawn_child`.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import lzma
import os
import platform
import resource
import shlex
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPORA = REPO.parent / "shared" / "corpora"
DEFAULT_CACHE = Path("/tmp/toksmith-bench")
RESULT_FILE = "result.json"
LOG_FILE = "child.log"
MIB = 1024 * 1024


# ---------------------------------------------------------------------------
# Child side


class Stopwatch:
    """Wall time of named phases, and the RSS when each one started."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_mb_before: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self.rss_mb_before[name] = proc_status_mb("VmRSS")
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - start


def proc_status_mb(key: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(key)


def usage_facts() -> dict[str, float]:
    """Peak RSS (VmHWM and ru_maxrss, MiB) and user + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "peak_rss_mb": proc_status_mb("VmHWM"),
        "ru_maxrss_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def run_guarded(out_dir: Path, body: Callable[[], dict[str, Any]]) -> int:
    """Run a child's work and write what it returns, or its error, to out_dir/result.json.

    Returns the child's exit code: 0, or 1 after printing the traceback to the log.
    """
    try:
        result = body()
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which carries on
        traceback.print_exc()
        write_json(out_dir / RESULT_FILE, {"error": f"{type(exc).__name__}: {exc}"})
        return 1
    write_json(out_dir / RESULT_FILE, result)
    return 0


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------
# Parent side: child processes


@dataclass
class ChildOutcome:
    """What a child process left behind: its result.json (without "error"), or why it failed."""

    process_s: float
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def spawn_child(
    command: Sequence[str], out_dir: Path, timeout: float | None, env: Mapping[str, str] | None = None
) -> ChildOutcome:
    """Run a child in a fresh interpreter, its output logged to out_dir/child.log, and read its result.

    The child may have written result.json before it was killed by the timeout (a partial result):
    it is returned along with the timeout error.
    """
    log_path = out_dir / LOG_FILE
    start = time.perf_counter()
    with log_path.open("wb") as log:
        try:
            returncode: int | None = subprocess.run(
                list(command),
                check=False,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                env=None if env is None else dict(env),
            ).returncode
        except subprocess.TimeoutExpired:
            returncode = None
    outcome = ChildOutcome(process_s=time.perf_counter() - start)
    result_path = out_dir / RESULT_FILE
    child: dict[str, Any] = json.loads(result_path.read_text()) if result_path.exists() else {}
    if returncode is None:
        outcome.error = f"timeout after {timeout:g} s"
    elif "error" in child:
        outcome.error = child.pop("error")
    elif returncode != 0 or not child:
        outcome.error = f"exit code {returncode}: {tail(log_path) or 'no output'}"
    outcome.result = child
    return outcome


def fresh_dir(path: Path) -> Path:
    """An empty directory at path (removed first if it exists)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def tail(path: Path) -> str:
    """The last non-empty line of a file, or ""."""
    lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()] if path.exists() else []
    return lines[-1].strip() if lines else ""


# ---------------------------------------------------------------------------
# Parent side: corpora


def parse_size(text: str) -> int:
    """A byte count with an optional K, M or G suffix (powers of 1000): "5M" -> 5000000."""
    units = {"K": 10**3, "M": 10**6, "G": 10**9}
    suffix = text[-1:].upper()
    if suffix in units:
        return int(float(text[:-1]) * units[suffix])
    return int(text)


def unpack_xz(compressed: Path, cache: Path) -> Path:
    """Unpack FILE.xz once into the cache (like `xz -dk`, leaving the source alone)."""
    target = cache / compressed.name.removesuffix(".xz")
    if target.exists() and target.stat().st_mtime >= compressed.stat().st_mtime:
        return target
    print(f"unpacking {compressed} -> {target}", file=sys.stderr)
    partial = target.with_name(target.name + ".part")
    with lzma.open(compressed, "rb") as src, partial.open("wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
    partial.replace(target)
    return target


def plain_corpus(path: Path, cache: Path) -> Path:
    """The plain-text file for a corpus given as FILE or FILE.xz (unpacked once into the cache)."""
    compressed = path if path.suffix == ".xz" else path.with_name(path.name + ".xz")
    if path.suffix == ".xz" or (not path.exists() and compressed.exists()):
        path = unpack_xz(compressed, cache)
    if not path.is_file():
        raise SystemExit(f"corpus not found: {path} (nor {compressed})")
    return path.resolve()


def corpus_facts(path: Path) -> dict[str, Any]:
    """Size, line count and sha256 of the corpus; reading it also warms the page cache."""
    digest = hashlib.sha256()
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
            lines += chunk.count(b"\n")
    return {"path": str(path), "bytes": path.stat().st_size, "lines": lines, "sha256": digest.hexdigest()}


# ---------------------------------------------------------------------------
# Parent side: run facts and report


def machine_facts() -> dict[str, Any]:
    """nproc, CPU model, RAM, OS and Python of this machine."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")), "?")
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem_kib = next(int(ln.split()[1]) for ln in meminfo if ln.startswith("MemTotal:"))
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "ram_gib": round(mem_kib / MIB, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def library_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def run_facts(versions: dict[str, str]) -> dict[str, Any]:
    """The report's opening: date, exact command, working directory, machine and library versions."""
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": shlex.join(sys.orig_argv),
        "cwd": os.getcwd(),
        "machine": machine_facts(),
        "versions": versions,
    }


def print_run_facts(report: dict[str, Any]) -> None:
    """Print the date, command, machine and versions lines of a report made by `run_facts`."""
    m = report["machine"]
    print(f"date:     {report['date']}")
    print(f"command:  {report['command']}  (in {report['cwd']})")
    print(f"machine:  {m['nproc']} cores, {m['cpu']}, {m['ram_gib']} GiB RAM; {m['os']}; Python {m['python']}")
    print("versions: " + ", ".join(f"{n} {v}" for n, v in report["versions"].items()))


def ratio(value: float | None, reference: float | None) -> float | None:
    return value / reference if value is not None and reference else None


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for cells in rows:
        print("| " + " | ".join(cells) + " |")


def add_common_args(
    parser: "argparse.ArgumentParser", *, contenders: Sequence[str], timeout: float, cache_help: str
) -> None:
    """The options every bench script shares: --timeout, --cache-dir, --json and the hidden --child."""
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        help=f"seconds before a run is killed and reported failed; 0 for none (default {timeout:.0f})",
    )
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help=f"{cache_help} (default {DEFAULT_CACHE})")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    parser.add_argument("--child", choices=list(contenders), help=argparse.SUPPRESS)


def parse_only(only: list[str] | None, choices: Sequence[str]) -> tuple[list[str], list[str]]:
    """The contenders named by repeatable comma-separated --only options (default all), and unknown names."""
    names = [n.strip() for group in only or [",".join(choices)] for n in group.split(",") if n.strip()]
    return list(dict.fromkeys(names)), sorted(set(names) - set(choices))


def select_only(parser: argparse.ArgumentParser, only: list[str] | None, choices: Sequence[str],
                noun: str = "contender(s)") -> list[str]:
    """:func:`parse_only`, with a usage error naming the unknown ones and the choices."""
    names, unknown = parse_only(only, choices)
    if unknown:
        parser.error(f"unknown {noun} {', '.join(unknown)}; choose from {', '.join(choices)}")
    return names


def fill_defaults(args: argparse.Namespace, defaults: dict[str, Any]) -> None:
    """Sets each option of ``defaults`` that was not given (is None) to its default."""
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
