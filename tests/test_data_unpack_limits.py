"""Every compressed or archived input a reader accepts (gzip, bz2, zip, parquet's compressed columns) is unpacked
only up to a cap (data.limits), on the command line as in the API; quoted input in messages is cut short."""

from __future__ import annotations

import bz2
import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from arenapref.data.errors import DataError
from arenapref.data.io import read_battles
from arenapref.data.limits import MAX_UNPACKED_ENV, UnpackLimitError
from arenapref.data.records import read_bytes

CAP = 100_000
BOMB = b"\0" * (CAP + 1)


def zipped(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("battles.csv", data)
    return out.getvalue()


WRAPPERS = {"gzip": gzip.compress, "bz2": bz2.compress, "zip": zipped}


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_a_wrapper_past_the_cap_is_refused_and_one_at_the_cap_is_read(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "bomb"
    path.write_bytes(WRAPPERS[kind](BOMB))
    with pytest.raises(UnpackLimitError, match=f"the {kind} data|zip member"):
        read_bytes(path, CAP)
    path.write_bytes(WRAPPERS[kind](BOMB[:CAP]))
    assert read_bytes(path, CAP) == (BOMB[:CAP], kind)


def test_a_zip_whose_header_understates_its_member_is_still_capped(tmp_path: Path) -> None:
    raw = bytearray(zipped(BOMB))
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # uncompressed size in both headers
        at = raw.find(header)
        raw[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataError):  # capped, or refused as corrupt: never unpacked past the cap
        read_bytes(path, CAP)


def test_parquet_column_data_past_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    texts = [f"{i:06d}" * 200 for i in range(200)]  # distinct: no dictionary encoding
    frame = pd.DataFrame({"prompt": texts, "response_a": ["a"] * 200, "response_b": ["b"] * 200})
    path = tmp_path / "battles.parquet"
    frame.to_parquet(path, compression="zstd")
    assert path.stat().st_size < CAP
    with pytest.raises(UnpackLimitError, match="parquet column data"):
        read_battles(path, max_unpacked=CAP)


def test_the_command_line_cap_comes_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "bomb.gz"
    path.write_bytes(gzip.compress(BOMB))
    env = {MAX_UNPACKED_ENV: str(CAP), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-m", "arenapref", "data", "inspect", str(path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"unpacks to more than {CAP:,} bytes" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_huge_column_name_is_quoted_short(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text("q" * 50_000 + ",other\n1,2\n")
    with pytest.raises(DataError) as caught:
        read_battles(path)
    assert len(str(caught.value)) < 500
    assert caught.value.hint == "use --format" and "--format" not in caught.value.message
