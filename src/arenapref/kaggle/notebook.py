"""submit.ipynb and submit.py: the same steps (find the kit, install offline, predict, write) in two forms.

Both default to Kaggle's paths (the competition's test.csv under /kaggle/input, /kaggle/working/submission.csv);
the environment variables ARENAPREF_KIT, ARENAPREF_TEST and ARENAPREF_OUTPUT (or submit.py's options) override.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

KAGGLE_TEST = "/kaggle/input/lmsys-chatbot-arena/test.csv"
KAGGLE_OUTPUT = "/kaggle/working/submission.csv"

FIND = f'''import json
import os
import subprocess
import sys
import time
from pathlib import Path

KIND = "arenapref-kaggle-kit"


def find_kit(start=None):
    """The first of `start`, ARENAPREF_KIT, the working folder and /kaggle/input's datasets holding a kit manifest."""
    places = [Path(start)] if start else []
    places += [Path(os.environ["ARENAPREF_KIT"])] if os.environ.get("ARENAPREF_KIT") else []
    places.append(Path.cwd())
    for depth in ("*", "*/*", "*/*/*"):
        places += sorted(p.parent for p in Path("/kaggle/input").glob(depth + "/MANIFEST.json"))
    for place in places:
        manifest = place / "MANIFEST.json"
        if manifest.is_file() and json.loads(manifest.read_text()).get("kind") == KIND:
            return place
    raise FileNotFoundError("no arenapref kit found: attach the kit's dataset or set ARENAPREF_KIT")


def install(kit):
    """pip install arenapref (and the model's extra) from the kit's wheels only: no index, no internet."""
    manifest = json.loads((kit / "MANIFEST.json").read_text())
    started = time.perf_counter()
    command = [sys.executable, "-m", "pip", "install", "--no-index", "--find-links", str(kit / "wheels")]
    subprocess.run(command + ["--quiet", "--disable-pip-version-check", manifest["install"]], check=True)
    print(f"installed {{manifest['install']}} from {{kit / 'wheels'}} in {{time.perf_counter() - started:.1f}} s")
    return manifest


TEST = Path(os.environ.get("ARENAPREF_TEST", "{KAGGLE_TEST}"))
OUTPUT = Path(os.environ.get("ARENAPREF_OUTPUT", "{KAGGLE_OUTPUT}"))
'''

INTRO = """# arenapref submission (offline)

Attach this kit as a dataset and the competition's data; the notebook installs arenapref from the kit's wheels
(no internet), predicts every battle of `test.csv` with the kit's model and writes `submission.csv`.
After the first batches it prints the rows per second and the projected time for 25,000 rows, and stops with a
message when that passes the kit's time limit; with several GPUs a fine-tuned model predicts one process per GPU."""

NOTEBOOK_CELLS = [
    "KIT = find_kit()\nMANIFEST = install(KIT)",
    "from arenapref.kaggle.runtime import make_submission\n\n"
    "result = make_submission(\n"
    "    KIT / 'model',\n"
    "    TEST,\n"
    "    OUTPUT,\n"
    "    time_limit_hours=MANIFEST.get('time_limit_hours', 9.0),\n"
    "    options=MANIFEST.get('predict_options'),\n"
    ")",
]

SCRIPT_MAIN = """

def main():
    import argparse

    parser = argparse.ArgumentParser(description="Write a Kaggle submission with the kit beside this script.")
    parser.add_argument("--test", type=Path, default=TEST, help="the competition's test.csv")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the submission CSV to write")
    parser.add_argument("--tta", choices=("auto", "on", "off"), default="auto", help="swap TTA")
    parser.add_argument("--no-install", action="store_true", help="arenapref is installed already")
    args = parser.parse_args()
    kit = find_kit(Path(__file__).resolve().parent)
    manifest = json.loads((kit / "MANIFEST.json").read_text()) if args.no_install else install(kit)
    from arenapref.kaggle.runtime import make_submission

    limit, options = manifest.get("time_limit_hours", 9.0), manifest.get("predict_options")
    make_submission(kit / "model", args.test, args.output, tta=args.tta, time_limit_hours=limit, options=options)


if __name__ == "__main__":
    main()
"""


def write_scripts(kit: Path) -> tuple[Path, Path]:
    """Write kit/submit.ipynb and kit/submit.py."""
    cells = [nbformat.v4.new_markdown_cell(INTRO), nbformat.v4.new_code_cell(FIND.strip())]
    cells += [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    ipynb = kit / "submit.ipynb"
    nbformat.write(notebook, ipynb)
    script = kit / "submit.py"
    script.write_text(
        '"""arenapref submission: python submit.py [--test PATH] [--output PATH]."""\n\n' + FIND + SCRIPT_MAIN
    )
    return ipynb, script
