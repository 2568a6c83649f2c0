"""The ASGI app: copyguard's check over HTTP, with the shapes LiteLLM and Azure clients already speak.

    app = create_app(ServiceConfig(index="my-index"))   # then uvicorn.run(app),
    # or simply: copyguard serve --index my-index

Checks run on a small thread pool, never on the event loop; the index
(memory-mapped, shared by every worker process through the page cache)
is re-read when its manifest changes, so a takedown by another process
is answered within ``refresh_interval`` seconds, without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from .. import __version__
from ..errors import CopyguardError, InputError, UnknownLanguageError
from .config import CONNECTIONS, ServiceConfig
from .metrics import Metrics
from .middleware import RequestLayer
from .models import (
    AzureCodeRequest,
    AzureResponse,
    AzureTextRequest,
    BatchRequest,
    BatchResponse,
    CheckRequest,
    CheckResponse,
    CodeCitation,
    ErrorResponse,
    Health,
    LiteLLMRequest,
    LiteLLMResponse,
    ProtectedMaterialAnalysis,
    Ready,
    ReviewRequest,
    Version,
)
from .review import page_html, review

T = TypeVar("T")
log = logging.getLogger("copyguard.service")


class Service:
    """What the routes share in one worker: the guard, the check pool, the metrics and the API key.

    At most ``threads`` checks run at once and at most ``queue`` wait for a
    thread; past that a check is refused at once (503, ``Retry-After``). A
    check still running at ``request_timeout`` is answered 503, but Python
    cannot stop a thread: it runs on to its end and keeps its place in the
    count until then, so overdue work never piles up beyond ``threads``. A
    check still waiting at its deadline is dropped and never runs.
    """

    def __init__(self, config: ServiceConfig, guard: Any) -> None:
        self.config = config
        self.guard = guard
        self.api_key = config.api_key()
        self.metrics = Metrics()
        self.pool = ThreadPoolExecutor(config.threads, thread_name_prefix="copyguard-check")
        self.admitted = 0  # checks running or waiting for a thread; changed on the event loop only
        self.reported: list[int] = []  # the generations the index gauges show

    async def run(self, route: str, fn: Callable[..., T], *args: Any, deadline: float | None = None) -> T:
        """``fn(*args)`` on the check pool; 503 when the pool and its queue are full, or at the deadline.

        ``deadline`` (event-loop time) defaults to ``request_timeout`` seconds from now.
        """
        loop = asyncio.get_running_loop()
        if self.admitted >= self.config.threads + self.config.queue:
            self.metrics.refused.labels(route).inc()
            raise HTTPException(503, f"busy: {self.config.threads} checks running and {self.config.queue} waiting "
                                     "(--threads, --queue); retry later", headers={"Retry-After": "1"})
        self.admitted += 1
        work = self.pool.submit(fn, *args)
        work.add_done_callback(partial(self._done, loop))
        if deadline is None:
            deadline = loop.time() + self.config.request_timeout
        try:
            return await asyncio.wait_for(asyncio.wrap_future(work), max(0.0, deadline - loop.time()))
        except TimeoutError:  # a waiting check is cancelled with its wrapper; a running one cannot be
            self.metrics.timeouts.labels(route).inc()
            raise HTTPException(503, f"the check took longer than {self.config.request_timeout:g} s "
                                     "(--request-timeout)") from None

    def _done(self, loop: asyncio.AbstractEventLoop, _: object) -> None:
        """The check's thread is free again (or the check was dropped before it ran): release its place."""
        try:
            loop.call_soon_threadsafe(self._release)
        except RuntimeError:  # the event loop has closed: the worker is shutting down
            pass

    def _release(self) -> None:
        self.admitted -= 1

    def stats(self) -> list[dict]:
        """Each index's ``stats()`` and path, in the order given to the guard."""
        for _ in range(3):
            try:
                return [{**index.stats(), "path": str(index.path)} for index in self.guard.indexes]
            except FileNotFoundError:  # a compaction removed a segment under an older view: catch up
                self.guard.refresh()
        return [{**index.stats(), "path": str(index.path)} for index in self.guard.indexes]

    def refresh(self) -> None:
        """Switch to the indexes' newest generations (``Guard.refresh``) and report them in the metrics.

        A check may have switched already (``Guard.check`` follows the manifest
        too), so the gauges follow the generations, not ``refresh()``'s answer.
        """
        self.guard.refresh()
        generations = [index.manifest.generation for index in self.guard.indexes]
        if generations != self.reported:
            self.metrics.index(self.stats())
            self.reported = generations

    async def follow_index(self) -> None:
        """Background task: look at the manifest every ``refresh_interval`` seconds, between checks."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.config.refresh_interval)
            try:
                await loop.run_in_executor(None, self.refresh)
            except (CopyguardError, OSError) as err:  # a damaged new generation: keep answering from the last good one
                log.error("copyguard: index refresh failed, still answering from the previous generation: %s", err)


def create_app(config: ServiceConfig, guard: Any = None) -> FastAPI:
    """The service's ASGI app over ``guard`` (by default ``Guard.open(config.index, policy)``)."""
    if guard is None:
        from ..guard import Guard
        from ..policy import Policy

        guard = Guard.open(config.index, Policy.from_toml(config.policy) if config.policy else None)
    service = Service(config, guard)
    service.refresh()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict]:
        follower = asyncio.create_task(service.follow_index())
        try:
            yield {CONNECTIONS: service.metrics}  # the HTTP protocol counts each worker's connections here
        finally:
            follower.cancel()
            service.pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="copyguard", version=__version__, lifespan=lifespan,
                  description="Checks model output for verbatim and near-verbatim copies of indexed text and code.",
                  responses={422: {"model": ErrorResponse}, 413: {"model": ErrorResponse}})
    app.state.service = service
    app.add_middleware(RequestLayer, max_body_bytes=config.max_body_bytes, metrics=service.metrics,
                       log_json=config.log_json, access_log=config.access_log)
    _errors(app)
    _routes(app, service)
    return app


def create_from_env() -> FastAPI:
    """The app of one worker process started by ``copyguard serve`` (its settings are in the environment)."""
    return create_app(ServiceConfig.from_env())


# --- errors: JSON, one line, naming the field ------------------------------------------------------

def _errors(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = [str(p) for p in first.get("loc", ())]
        if first.get("type") == "json_invalid":
            why = (first.get("ctx") or {}).get("error", "malformed")
            return _error(422, f"the request body is not valid JSON ({why})", "body")
        field = ".".join(loc[1:]) if loc[:1] == ["body"] and len(loc) > 1 else (".".join(loc) or "body")
        return _error(422, f"{field}: {first.get('msg', 'invalid')}", field)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail
        if exc.status_code == 404:
            message = f"no route {request.method} {request.url.path}; see /docs for the routes"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            message = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        return _error(exc.status_code, str(message), None, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(CopyguardError)
    async def refused(request: Request, exc: CopyguardError) -> JSONResponse:
        if isinstance(exc, UnknownLanguageError):
            return _error(422, str(exc), "lang")
        if isinstance(exc, InputError):
            return _error(422, str(exc), "text")
        return _error(503, f"the index cannot answer: {exc}", None)


def _error(status: int, message: str, field: str | None, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


# --- routes ----------------------------------------------------------------------------------------

_bearer = HTTPBearer(auto_error=False, description="the key in the environment variable named by --api-key-env")


def _routes(app: FastAPI, service: Service) -> None:
    def authorized(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]) -> None:
        if service.api_key is None:
            return
        given = creds.credentials if creds else (request.headers.get("ocp-apim-subscription-key")
                                                 or request.headers.get("x-api-key"))
        if not given or not hmac.compare_digest(given.encode(), service.api_key.encode()):
            raise HTTPException(401, "missing or wrong API key: send 'Authorization: Bearer <key>'",
                                headers={"WWW-Authenticate": "Bearer"})

    auth = [Depends(authorized)]

    def check(text: str, lang: str | None, redact: bool) -> dict:
        verdict = service.guard.check(text, lang)
        body = verdict.to_dict()
        if redact:
            body["redacted"] = service.guard.redact(text, lang, verdict)
        return body

    @app.api_route("/", response_class=HTMLResponse, include_in_schema=False, methods=["GET", "HEAD"])
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html())

    @app.post("/v1/check", response_model=CheckResponse, response_model_exclude_none=True, dependencies=auth,
              summary="Check one text")
    async def check_one(req: CheckRequest, request: Request) -> dict:
        body = await service.run("/v1/check", check, req.text, req.lang, req.redact)
        request.state.action = body["action"]
        service.metrics.checks.labels("/v1/check", body["action"]).inc()
        return body

    @app.post("/v1/check/batch", response_model=BatchResponse, response_model_exclude_none=True,
              dependencies=auth, summary="Check many texts; each result keeps its item's id")
    async def check_batch(req: BatchRequest, request: Request) -> dict:
        results = []
        deadline = asyncio.get_running_loop().time() + service.config.request_timeout  # for the whole batch
        for item in req.items:
            body = await service.run("/v1/check/batch", check, item.text, item.lang, req.redact, deadline=deadline)
            service.metrics.checks.labels("/v1/check/batch", body["action"]).inc()
            results.append({"id": item.id, **body})
        request.state.action = _most_severe([r["action"] for r in results])
        return {"results": results}

    @app.post("/v1/review", dependencies=auth, summary="Check one text and return both sides of every match",
              description="The data of the review page: per matched source, excerpts of the answer and the "
                          "source with the copied spans (offsets in code points, relative to each excerpt).")
    async def review_one(req: ReviewRequest, request: Request) -> dict:
        data = await service.run("/v1/review", review, service.guard, req.text, req.lang)
        request.state.action = data["action"]
        return data

    @app.api_route("/healthz", methods=["GET", "HEAD"], response_model=Health, summary="Liveness")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.api_route("/readyz", methods=["GET", "HEAD"], response_model=Ready, responses={503: {"model": ErrorResponse}},
                   summary="The index is open: its generation, live sources, passages")
    async def readyz() -> Any:
        stats = await asyncio.get_running_loop().run_in_executor(None, service.stats)
        indexes = [{k: one[k] for k in ("path", "generation", "live_sources", "live_passages")} for one in stats]
        passages = sum(one["live_passages"] for one in indexes)
        if not passages:
            return _error(503, "the index holds no live passages: every check would allow", None)
        return {"status": "ready", "generation": sum(one["generation"] for one in indexes),
                "live_sources": sum(one["live_sources"] for one in indexes), "live_passages": passages,
                "indexes": indexes}

    @app.api_route("/metrics", methods=["GET", "HEAD"], response_class=Response,
                   summary="Prometheus metrics (text exposition format)")
    async def metrics() -> Response:
        return Response(service.metrics.render(), media_type=service.metrics.content_type)

    @app.api_route("/v1/version", methods=["GET", "HEAD"], response_model=Version,
                   summary="copyguard's version and the index's format")
    async def version() -> dict:
        stats = await asyncio.get_running_loop().run_in_executor(None, service.stats)
        return {"copyguard": __version__, "index_format": stats[0]["format"],
                "generation": sum(one["generation"] for one in stats), "params": stats[0]["params"]}

    _integrations(app, service, check, auth)


def _integrations(app: FastAPI, service: Service, check: Callable[..., dict], auth: list) -> None:
    """LiteLLM's generic guardrail API and Azure AI Content Safety's protected-material routes."""

    @app.post("/beta/litellm_basic_guardrail_api", response_model=LiteLLMResponse, response_model_exclude_none=True,
              dependencies=auth, tags=["integrations"], summary="LiteLLM generic guardrail API")
    async def litellm(req: LiteLLMRequest, request: Request) -> dict:
        texts = req.texts or []
        route = "/beta/litellm_basic_guardrail_api"
        deadline = asyncio.get_running_loop().time() + service.config.request_timeout
        verdicts = [await service.run(route, check, text, None, True, deadline=deadline) for text in texts]
        action = _most_severe([v["action"] for v in verdicts])
        request.state.action = action
        for v in verdicts:
            service.metrics.checks.labels("/beta/litellm_basic_guardrail_api", v["action"]).inc()
        spans = [{k: v for k, v in verdict.items() if k != "redacted"} for verdict in verdicts]
        if action == "block":
            return {"action": "BLOCKED", "blocked_reason": _reason(verdicts, service.guard.policy), "copyguard": spans}
        if action == "redact":
            redacted = [v["redacted"] if v["action"] in ("redact", "block") else t for v, t in zip(verdicts, texts)]
            return {"action": "GUARDRAIL_INTERVENED", "texts": redacted, "copyguard": spans}
        return {"action": "NONE", "copyguard": spans}

    async def azure(text: str, request: Request, code: bool) -> dict:
        route = "/contentsafety/text:detectProtectedMaterial" + ("ForCode" if code else "")
        verdict = await service.run(route, check, text, None, False)
        request.state.action = verdict["action"]
        service.metrics.checks.labels(route, verdict["action"]).inc()
        analysis: dict[str, Any] = {"detected": verdict["action"] != "allow"}
        if code:
            citations: dict[str, set[str]] = {}
            for m in verdict["matches"]:
                citations.setdefault(m["license"] or "NOASSERTION", set()).add(_source_url(m))
            analysis["codeCitations"] = [CodeCitation(license=lic, sourceUrls=sorted(urls))
                                         for lic, urls in citations.items()]
        return {"protectedMaterialAnalysis": ProtectedMaterialAnalysis(**analysis), "copyguard": verdict}

    @app.post("/contentsafety/text:detectProtectedMaterial", response_model=AzureResponse,
              response_model_exclude_none=True, dependencies=auth, tags=["integrations"],
              summary="Azure AI Content Safety: protected material in text")
    async def azure_text(req: AzureTextRequest, request: Request) -> dict:
        return await azure(req.text, request, code=False)

    @app.post("/contentsafety/text:detectProtectedMaterialForCode", response_model=AzureResponse,
              response_model_exclude_none=True, dependencies=auth, tags=["integrations"],
              summary="Azure AI Content Safety: protected material in code, with citations")
    async def azure_code(req: AzureCodeRequest, request: Request) -> dict:
        return await azure(req.code, request, code=True)


def _most_severe(actions: list[str]) -> str:
    from ..policy import Action, most_severe

    return str(most_severe([Action(a) for a in actions]))


def _reason(verdicts: list[dict], policy: Any) -> str:
    """One sentence naming every source the policy blocks, and its license."""
    seen: dict[str, str] = {}
    for v in verdicts:
        for m in v["matches"]:
            if policy.action_for(m["license"], m["source"]) == "block":
                seen.setdefault(m["source"], m["license"] or "unknown license")
    named = "; ".join(f"{src} ({lic})" for src, lic in list(seen.items())[:5])
    more = f" and {len(seen) - 5} more" if len(seen) > 5 else ""
    return f"copyguard: the output copies protected content: {named}{more}"


def _source_url(match: dict) -> str:
    path = match.get("source_path") or ""
    if path.startswith(("http://", "https://")):
        return path
    if path.startswith("/"):
        from pathlib import Path

        return Path(path).as_uri()
    return match["source"]
