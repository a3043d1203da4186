"""`arenapref serve`: a real uvicorn process on loopback, one or several workers; a bad model directory stops it."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx
import pytest

from arenapref.cli import main
from arenapref.models.baselines import PriorModel
from serve_support import serve_command

BATTLE = {"prompt": "Hi", "response_a": "Hello!", "response_b": "Hello, how can I help?"}


@pytest.fixture(scope="module")
def prior_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return PriorModel([0.35, 0.35, 0.3]).save(tmp_path_factory.mktemp("prior") / "model")


def test_serves_on_loopback_with_the_limits_given(prior_dir: Path) -> None:
    args = (str(prior_dir), "--port", "0", "--max-batch", "2", "--max-chars", "10", "--cors-origin", "http://a.example")
    with serve_command(*args) as (_, url):
        assert url.startswith("http://127.0.0.1:")  # loopback unless --host says otherwise
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok", "model": "prior"}
        assert httpx.get(f"{url}/v1/model").json()["limits"]["max_batch"] == 2
        out = httpx.post(f"{url}/v1/predict", json={**BATTLE, "response_b": "Hey"}).json()
        assert (out["p_a"], out["p_b"], out["p_tie"]) == pytest.approx((0.35, 0.35, 0.3))
        assert httpx.post(f"{url}/v1/predict", json=BATTLE).status_code == 422  # response_b has 22 characters
        got = httpx.get(f"{url}/healthz", headers={"Origin": "http://a.example"})
        assert got.headers["access-control-allow-origin"] == "http://a.example"


def test_serves_with_several_workers(prior_dir: Path) -> None:
    with serve_command(str(prior_dir), "--port", "0", "--workers", "2") as (_, url):
        assert url.startswith("http://127.0.0.1:")
        outs = [httpx.post(f"{url}/v1/predict", json=BATTLE).json() for _ in range(4)]
        assert all(o["p_tie"] == pytest.approx(0.3) for o in outs)


@pytest.mark.parametrize(
    ("workers", "directory", "message"), [("1", "absent", "model.json missing"), ("2", ".", "unknown model type")]
)
def test_bad_model_directory_is_one_red_line_and_exit_2(
    tmp_path: Path,
    workers: str,
    directory: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "model.json").write_text(
        json.dumps({"model": "no-such-model", "arenapref_version": "0.1.0", "state": {}})
    )
    monkeypatch.setattr(sys, "argv", ["arenapref", "serve", str(tmp_path / directory), "--workers", workers])
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
