"""The FastAPI app: predict one battle or a batch, model metadata, health, the web page and offline API docs."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from fastapi import FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from arenapref import __version__
from arenapref.data.errors import DataError
from arenapref.data.limits import UnpackLimitError
from arenapref.data.report import ReadReport
from arenapref.models import registry
from arenapref.models.base import PreferenceModel, read_meta
from arenapref.serve.body_limit import BodyLimitMiddleware
from arenapref.serve.errors import ERRORS, install_error_handlers
from arenapref.serve.reward_routes import add_reward_routes
from arenapref.serve.reward_service import RewardService
from arenapref.serve.schemas import BatchIn, BatchOut, BattleIn, ErrorOut, Health, Limits, ModelInfo, Prediction
from arenapref.serve.service import InputLimitError, PredictionService
from arenapref.serve.settings import ENV_SETTINGS, ServeSettings

STATIC = Path(__file__).parent / "static"
ENV_MODEL = "ARENAPREF_SERVE_MODEL"  # model directory, read by worker processes
FILE = {"type": "string", "format": "binary", "description": "The file's bytes, as saved (any readable format)."}
FILE_ERRORS = {
    **ERRORS,
    413: {"model": ErrorOut, "description": "Body too large, or its content unpacks past max_unpacked_bytes"},
    415: {"model": ErrorOut, "description": "A multipart form instead of the file's bytes"},
}
MULTIPART = "send the file's bytes as the request body (Content-Type: application/octet-stream), not a multipart form"
REASONS = Query(True, description="Return the top feature contributions (where the model gives them).")


def load_model(directory: str | Path) -> tuple[PreferenceModel, dict[str, Any]]:
    """The model of a directory and the metadata the API shows: name, version, training summary, and the names
    (never the server's paths) of the files it was trained on; any failure becomes a ModelDirError."""
    model = registry.load(directory)
    meta = read_meta(directory)
    public: dict[str, Any] = {k: meta[k] for k in ("model", "arenapref_version") if k in meta}
    trained_on = meta.get("trained_on")
    if isinstance(trained_on, list):
        public["trained_on"] = [PurePath(str(path)).name for path in trained_on]
    state = meta.get("state")
    if isinstance(state, dict) and isinstance(state.get("training"), dict):
        public["training"] = state["training"]  # rows, data hash, sources: small and worth showing
    return model, public


def create_app(model: str | Path | PreferenceModel, settings: ServeSettings | None = None) -> FastAPI:
    """The app serving `model` (a model directory, loaded here once, or a model object)."""
    settings = settings or ServeSettings()
    if isinstance(model, PreferenceModel):
        directory, meta = None, {"model": model.name, "arenapref_version": __version__}
    else:
        directory = Path(model).name  # the folder's name: the server's paths stay private
        model, meta = load_model(model)
    service = PredictionService(model, settings)
    rewards = RewardService(service)
    info = ModelInfo(
        name=model.name,
        explains=service.explains,
        directory=directory,
        metadata=meta,
        limits=Limits(
            max_body_bytes=settings.max_body_bytes,
            max_batch=settings.max_batch,
            max_chars=settings.max_chars,
            max_candidates=settings.max_candidates,
        ),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()
        rewards.close()

    app = FastAPIOffline(
        lifespan=lifespan,
        title="arenapref",
        version=__version__,
        description="Which of two chatbot responses will a person prefer? P(A wins), P(B wins), P(tie) and reasons.",
    )
    app.state.info = info
    document_limits(app, settings)
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    index = (STATIC / "index.html").read_text(encoding="utf-8")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page() -> str:
        return index

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz() -> Health:
        return Health(status="ok", model=model.name)

    @app.get("/v1/model", response_model=ModelInfo, tags=["service"])
    def model_info() -> ModelInfo:
        return info

    @app.post("/v1/predict", response_model=Prediction, responses=ERRORS, tags=["predict"])
    def predict(battle: BattleIn, reasons: bool = REASONS) -> Prediction:
        """Score one battle."""
        service.check_limits([battle], "body.")
        return service.predict([battle], reasons)[0]

    @app.post("/v1/predict/batch", response_model=BatchOut, responses=ERRORS, tags=["predict"])
    def predict_batch(batch: BatchIn, reasons: bool = REASONS) -> BatchOut:
        """Score up to `max_batch` battles in one vectorised call."""
        service.check_batch(batch.battles)
        service.check_limits(batch.battles, "body.battles.{i}.")
        return BatchOut(predictions=service.predict(batch.battles, reasons))

    @app.post(
        "/v1/predict/file",
        response_class=Response,
        responses={**FILE_ERRORS, 200: {"content": {"text/csv": {}}, "description": "Kaggle submission CSV"}},
        openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {"schema": FILE}}}},
        tags=["predict"],
    )
    async def predict_file(request: Request) -> PlainTextResponse:
        """Score a whole file of battles sent as the body (any format `arenapref predict` reads: Kaggle CSV,
        JSONL, parquet...); the answer is Kaggle's submission CSV, ids and order kept. Rows that cannot be read are
        left out and counted in the X-Rows-Read / X-Rows-Kept headers."""
        if request.headers.get("content-type", "").startswith("multipart/"):
            raise InputLimitError([("body", MULTIPART)], status=415)
        payload = await request.body()
        text, report = await run_in_threadpool(submission_of_file, model, payload, settings.max_unpacked_bytes)
        headers = {"X-Rows-Read": str(report.rows_read), "X-Rows-Kept": str(report.rows_kept)}
        return PlainTextResponse(text, media_type="text/csv", headers=headers)

    add_reward_routes(app, rewards)
    return app


def submission_of_file(model: PreferenceModel, payload: bytes, max_unpacked: int) -> tuple[str, ReadReport]:
    """The Kaggle submission CSV of a file's battles and the read report; unreadable input is a 422 naming why,
    content that unpacks past `max_unpacked` bytes a 413."""
    from arenapref.data.io import read_battles
    from arenapref.data.submission import write_submission

    with tempfile.TemporaryDirectory(prefix="arenapref-upload-") as folder:
        path = Path(folder) / "battles"
        path.write_bytes(payload)
        try:
            battles, report = read_battles(path, max_unpacked=max_unpacked)
        except DataError as exc:
            where = "" if exc.row is None else f"row {exc.row}: "
            status = 413 if isinstance(exc, UnpackLimitError) else 422
            raise InputLimitError([("body", f"{where}{exc.message}")], status) from None
        proba = model.predict_proba(battles) if len(battles) else np.zeros((0, 3))
        out = write_submission(battles["id"], proba, Path(folder) / "submission.csv")
        return out.read_text(encoding="utf-8"), report


def document_limits(app: FastAPI, settings: ServeSettings) -> None:
    """Put this server's limits into its OpenAPI schema, so that a request the schema allows is one it accepts
    (the per-field character limit is summed over turns, which JSON Schema cannot say: it is in the description)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema["components"]["schemas"]
            components["BatchIn"]["properties"]["battles"]["maxItems"] = settings.max_batch
            components["RankIn"]["properties"]["candidates"]["maxItems"] = settings.max_candidates
            for field in ("query", "prompts", "labels"):
                limit_items(components["RewardRequest"]["properties"][field], settings.max_batch)
            chars = f" At most {settings.max_chars:,} characters per text (a message list: its texts together)."
            components["RankIn"]["description"] += chars
            components["RewardRequest"]["description"] += chars
            components["BattleIn"]["description"] += (
                f" At most {settings.max_chars:,} characters per text field (all turns together)."
            )
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def limit_items(prop: dict[str, Any], n: int) -> None:
    """maxItems on an array property, also inside an anyOf (an optional list)."""
    for option in prop.get("anyOf", [prop]):
        if option.get("type") == "array":
            option["maxItems"] = n


def app_from_environment() -> FastAPI:
    """App factory for uvicorn worker processes: model directory and settings come from the environment."""
    settings = ServeSettings.model_validate_json(os.environ.get(ENV_SETTINGS) or "{}")
    return create_app(os.environ[ENV_MODEL], settings)
