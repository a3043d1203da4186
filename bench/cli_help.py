"""Benchmark (not a test): how long `arenapref --help` takes and how much memory it peaks at, against `python -c pass`.

Runs the baseline (`python -c pass`) and each command line `--repeats` times, interleaved, in fresh processes of
the same interpreter; each child's wall time and peak resident memory (its own VmHWM, Linux) are taken,
and the medians are printed as ratios to the baseline's, measured in the same run. Also lists which heavy
libraries `import arenapref.cli` loads.

    python bench/cli_help.py --out out/cli_help
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


def _run(code: str, args: list[str], peak_file: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of one child `python -c PROBE+code ARGS`; its output is discarded."""
    env = {**os.environ, "PEAK_FILE": str(peak_file)}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", PROBE + code, *args], capture_output=True, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return seconds, int(peak_file.read_text()) / 1024


def _heavy_modules() -> list[str]:
    code = f"import sys, arenapref.cli; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return out.split()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `arenapref --help` against `python -c pass`.")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("out/cli_help"))
    args = parser.parse_args(argv)

    commands = {
        "python -c pass": ("pass", []),
        "arenapref --help": (ENTRY, ["--help"]),
        "arenapref --version": (ENTRY, ["--version"]),
        "arenapref explain --help": (ENTRY, ["explain", "--help"]),
        "arenapref serve --help": (ENTRY, ["serve", "--help"]),
    }
    if subprocess.run([sys.executable, "-c", ENTRY, "--version"], capture_output=True).returncode != 0:
        del commands["arenapref --version"]  # a version without the option (the "before" measurement)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        for code, extra in commands.values():  # warm the file cache once
            _run(code, extra, peak_file)
        for _ in range(args.repeats):
            for name, (code, extra) in commands.items():
                samples[name].append(_run(code, extra, peak_file))
    base_s = statistics.median(s for s, _ in samples["python -c pass"])
    base_mb = statistics.median(m for _, m in samples["python -c pass"])
    load = os.getloadavg()[0]
    print(f"{args.repeats} runs each, medians; cores: {os.cpu_count()}, load average {load:.1f}")
    results: dict[str, object] = {"repeats": args.repeats, "load_average": load}
    for name in commands:
        seconds = statistics.median(s for s, _ in samples[name])
        mib = statistics.median(m for _, m in samples[name])
        print(
            f"{name:28s} {seconds * 1000:7.0f} ms ({seconds / base_s:5.2f}x python -c pass)  "
            f"peak {mib:6.1f} MiB ({mib / base_mb:5.2f}x)"
        )
        ratios = {"time_ratio": seconds / base_s, "mem_ratio": mib / base_mb}
        results[name] = {"seconds": seconds, "peak_mib": mib, **ratios}
    heavy = _heavy_modules()
    print("heavy libraries imported by `import arenapref.cli`: " + (", ".join(heavy) or "none"))
    results["heavy_modules"] = heavy
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cli_help.json").write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out / 'cli_help.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
