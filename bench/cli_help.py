"""Benchmark (not a test): how long `arenapref --help` takes and how much memory it peaks at, against `python -c pass`.

Runs the baseline (`python -c pass`) and each command line `--repeats` times, interleaved, in fresh processes of
the same interpreter; each child's wall time and peak resident memory (its own VmHWM, Linux) are taken,
and the medians are printed as ratios to the baseline's, measured in the same run. With --compare REV, the
help of another git revision's sources is timed in the same loop (a before/after under the same load). Also
lists which heavy libraries `import arenapref.cli` loads.

    python bench/cli_help.py --out out/cli_help [--compare REV]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "pyarrow", "scipy", "sklearn", "lightgbm", "matplotlib", "torch", "transformers", "fastapi")
#: Prefixed to every child's code: at exit, the child writes its own peak resident memory (VmHWM of its address
#: space, in KiB) to the file named by $PEAK_FILE. The parent's rusage would count the memory this (forking)
#: parent had at fork time, which is about as large as a bare `python -c pass`.
PROBE = (
    "import atexit, os\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as f:\n"
    "        kib = next(line.split()[1] for line in f if line.startswith('VmHWM:'))\n"
    "    with open(os.environ['PEAK_FILE'], 'w') as f:\n"
    "        f.write(kib)\n"
    "atexit.register(_peak)\n"
)
ENTRY = "import sys; from arenapref.cli import main; sys.argv[0] = 'arenapref'; main()"
#: The floor: a two-command typer app that imports nothing else (what any typer command line pays).
TYPER_FLOOR = (
    "import typer\napp = typer.Typer(add_completion=False)\n"
    "app.command('one')(lambda x: None)\napp.command('two')(lambda y: None)\napp()"
)


def _run(code: str, args: list[str], peak_file: Path, src: Path | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of one child `python -c PROBE+code ARGS` (arenapref from `src`
    when given); its output is discarded. CPU time (user + system) depends less on other processes' load."""
    env = {**os.environ, "PEAK_FILE": str(peak_file)}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", PROBE + code, *args], stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} exited {os.waitstatus_to_exitcode(status)}")
    child.returncode = 0
    return seconds, usage.ru_utime + usage.ru_stime, int(peak_file.read_text()) / 1024


def _sources_of(revision: str, into: Path) -> Path:
    """The `src` folder of a git revision of this repository, extracted (read-only use of the repository)."""
    into.mkdir(parents=True)
    root = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(root), "archive", revision, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def _heavy_modules() -> list[str]:
    code = f"import sys, arenapref.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `arenapref --help` against `python -c pass`.")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("out/cli_help"))
    parser.add_argument("--compare", metavar="REV", help="Also time `--help` of this git revision's sources.")
    args = parser.parse_args(argv)

    commands: dict[str, tuple[str, list[str], Path | None]] = {
        "python -c pass": ("pass", [], None),
        "bare typer app --help": (TYPER_FLOOR, ["--help"], None),
        "arenapref --help": (ENTRY, ["--help"], None),
        "arenapref --version": (ENTRY, ["--version"], None),
        "arenapref explain --help": (ENTRY, ["explain", "--help"], None),
        "arenapref serve --help": (ENTRY, ["serve", "--help"], None),
    }
    if subprocess.run([sys.executable, "-c", ENTRY, "--version"], capture_output=True).returncode != 0:
        del commands["arenapref --version"]  # a version without the option (the "before" measurement)
    with tempfile.TemporaryDirectory() as tmp:
        if args.compare:
            old = _sources_of(args.compare, Path(tmp) / "old")
            commands[f"{args.compare}: arenapref --help"] = (ENTRY, ["--help"], old)
            commands[f"{args.compare}: explain --help"] = (ENTRY, ["explain", "--help"], old)
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
        peak_file = Path(tmp) / "peak"
        for code, extra, src in commands.values():  # warm the file cache once
            _run(code, extra, peak_file, src)
        for _ in range(args.repeats):
            for name, (code, extra, src) in commands.items():
                samples[name].append(_run(code, extra, peak_file, src))
    base = [statistics.median(sample[k] for sample in samples["python -c pass"]) for k in range(3)]
    load = os.getloadavg()[0]
    print(f"{args.repeats} runs each, medians; cores: {os.cpu_count()}, load average {load:.1f}")
    results: dict[str, object] = {"repeats": args.repeats, "load_average": load}
    for name in commands:
        wall, cpu, mib = (statistics.median(sample[k] for sample in samples[name]) for k in range(3))
        print(
            f"{name:28s} wall {wall * 1000:6.0f} ms ({wall / base[0]:6.2f}x python -c pass)  "
            f"cpu {cpu * 1000:6.0f} ms ({cpu / base[1]:6.2f}x)  peak {mib:6.1f} MiB ({mib / base[2]:5.2f}x)"
        )
        ratios = {"time_ratio": wall / base[0], "cpu_ratio": cpu / base[1], "mem_ratio": mib / base[2]}
        results[name] = {"seconds": wall, "cpu_seconds": cpu, "peak_mib": mib, **ratios}
    heavy = _heavy_modules()
    print("heavy libraries imported by `import arenapref.cli`: " + (", ".join(heavy) or "none"))
    results["heavy_modules"] = heavy
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cli_help.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'cli_help.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
