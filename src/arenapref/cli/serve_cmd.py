"""`arenapref serve MODEL_DIR`: the prediction service and its web page (uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from arenapref.reward.limits import DEFAULT_BASELINE, MAX_CANDIDATES
from arenapref.serve.defaults import MAX_BATCH, MAX_BODY_BYTES, MAX_CHARS

err = Console(stderr=True)


def serve(
    model_dir: Path = typer.Argument(..., help="A saved model directory."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; loopback by default."),
    port: int = typer.Option(8000, min=0, max=65535, help="Port (0 = any free port, shown at start-up)."),
    workers: int = typer.Option(1, min=1, help="Worker processes; each loads the model once."),
    max_body_bytes: int = typer.Option(MAX_BODY_BYTES, min=1, help="Largest request body (else 413)."),
    max_batch: int = typer.Option(MAX_BATCH, min=1, help="Most battles per batch call (and queries per /get_reward)."),
    max_chars: int = typer.Option(MAX_CHARS, min=1, help="Most characters per text."),
    max_candidates: int = typer.Option(MAX_CANDIDATES, min=1, help="Most candidates per /v1/rank call."),
    baseline: str = typer.Option(
        DEFAULT_BASELINE, help="The answer /get_reward compares with when a query has no label."
    ),
    cors_origin: list[str] = typer.Option([], help="Allow this origin by CORS (repeatable); CORS is off without."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
    access_log: bool = typer.Option(True, help="Log every request (uvicorn's access log)."),
) -> None:
    """Serve a model: POST /v1/predict and /v1/predict/batch, POST /v1/rank (best-of-n), POST /get_reward
    (OpenRLHF's remote reward), GET /v1/model, /healthz, /docs, and a web page at /."""
    import uvicorn

    from arenapref.serve.app import ENV_MODEL, create_app, load_model
    from arenapref.serve.settings import ENV_SETTINGS, ServeSettings

    settings = ServeSettings(
        max_body_bytes=max_body_bytes,
        max_batch=max_batch,
        max_chars=max_chars,
        max_candidates=max_candidates,
        baseline=baseline,
        cors_origins=tuple(cors_origin),
    )
    if workers == 1:
        app = create_app(model_dir, settings)  # the model loads here, once; a bad directory stops us here
        err.print(f"serving {app.state.info.name!r} from {model_dir} at http://{host}:{port or '<free port>'}/")
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=access_log)
        return
    load_model(model_dir)  # fail fast, in the parent, with one clear line
    os.environ[ENV_MODEL] = str(model_dir)
    os.environ[ENV_SETTINGS] = settings.model_dump_json()
    err.print(f"serving model from {model_dir} with {workers} workers at http://{host}:{port or '<free port>'}/")
    uvicorn.run(
        "arenapref.serve.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        access_log=access_log,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
