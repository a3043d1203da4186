"""Error responses: one JSON shape ({detail, errors}), fields named, never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from arenapref.serve.schemas import ErrorField, ErrorOut
from arenapref.serve.service import InputLimitError, ModelFailure

log = logging.getLogger("arenapref.serve")
INTERNAL = "internal error: the request could not be served"
PARSE_FAILURE = "There was an error parsing the body"  # FastAPI's 400 detail
#: The error statuses every POST operation documents in the OpenAPI schema, with the error body's shape.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in ((413, "Body too large"), (422, "Malformed or over-limit input"), (500, "Internal error"))
}


def field_errors(raw: list[dict[str, Any]]) -> list[ErrorField]:
    """Pydantic errors as (field path, message), without the offending input echoed back."""
    out = []
    for err in raw:
        loc = [str(p) for p in err.get("loc", ())]
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", "invalid JSON")
            at = f" at character {loc[1]}" if len(loc) > 1 else ""
            out.append(ErrorField(field="body", message=f"malformed JSON{at}: {reason}"))
        else:
            out.append(ErrorField(field=".".join(loc) or "body", message=str(err.get("msg", "invalid value"))))
    return out


def _parse_reason(exc: Exception) -> str:
    cause = exc.__cause__
    if isinstance(cause, UnicodeDecodeError):
        return f"not UTF-8 text (byte {cause.start})"
    if isinstance(cause, RecursionError):
        return "nested too deeply"
    return "the body could not be parsed"


def _response(status: int, errors: list[ErrorField] | None, detail: str | None = None) -> JSONResponse:
    if detail is None:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors or [])
    return JSONResponse(ErrorOut(detail=detail, errors=errors).model_dump(exclude_none=True), status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """422 for malformed or over-limit input, 500 with a plain message for anything else."""

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _response(422, field_errors(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers 400 "There was an error parsing the body" when the JSON parser fails otherwise than with a
        # JSONDecodeError (bytes that are not UTF-8, nesting deeper than the recursion limit): malformed input,
        # so 422 like every other malformed body, as the OpenAPI schema says.
        if exc.status_code == 400 and exc.detail == PARSE_FAILURE:
            return _response(422, [ErrorField(field="body", message=f"malformed JSON: {_parse_reason(exc)}")])
        return await http_exception_handler(request, exc)

    @app.exception_handler(InputLimitError)
    async def over_limit(request: Request, exc: InputLimitError) -> JSONResponse:
        return _response(exc.status, [ErrorField(field=f, message=m) for f, m in exc.errors])

    @app.exception_handler(ModelFailure)
    async def model_failed(request: Request, exc: ModelFailure) -> JSONResponse:
        return _response(500, None, f"internal error: {exc}")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _response(500, None, INTERNAL)
