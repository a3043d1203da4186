"""Limits and options of the prediction service; every limit has a safe default."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from arenapref.reward.limits import DEFAULT_BASELINE, MAX_CANDIDATES
from arenapref.serve.defaults import MAX_BATCH, MAX_BODY_BYTES, MAX_CHARS, MAX_UNPACKED_BYTES

ENV_SETTINGS = "ARENAPREF_SERVE_SETTINGS"  # JSON of ServeSettings, read by worker processes


class ServeSettings(BaseModel):
    """Request limits, the reward baseline, reasons and CORS. CORS stays off unless origins are listed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_body_bytes: int = Field(default=MAX_BODY_BYTES, gt=0, description="Largest request body accepted (else 413).")
    max_unpacked_bytes: int = Field(
        default=MAX_UNPACKED_BYTES,
        gt=0,
        description="Largest size an uploaded file may unpack to (gzip, bz2, zip, parquet columns; else 413).",
    )
    max_batch: int = Field(default=MAX_BATCH, gt=0, description="Most battles in one /v1/predict/batch call.")
    max_chars: int = Field(default=MAX_CHARS, gt=0, description="Most characters in one text (all turns of one field).")
    max_candidates: int = Field(default=MAX_CANDIDATES, gt=0, description="Most candidates in one /v1/rank call.")
    baseline: str = Field(
        default=DEFAULT_BASELINE, description="The answer /get_reward compares a response with when it has no label."
    )
    reasons_top: int = Field(default=5, ge=0, le=50, description="Feature contributions returned per battle.")
    cors_origins: tuple[str, ...] = Field(default=(), description="Origins allowed by CORS; empty = CORS off.")
