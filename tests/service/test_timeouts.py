"""A check past --request-timeout: 503 at once, and the work it leaves behind is bounded.

Python cannot stop a thread, so an overdue check runs on to its end. The
service counts it against ``--threads`` until then, drops a check still
waiting for a thread when its own deadline comes (it never runs), and
refuses a check at once (503, Retry-After) when every thread is busy and
``--queue`` checks already wait. The guard here is the real one behind a
gate the test opens, so that a check outlasts the timeout for as long as
the test needs, whatever the machine's speed.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from copyguard import Guard
from copyguard.service import ServiceConfig, create_app


class GatedGuard(Guard):
    """The real guard; each check first waits for the gate to open."""

    gate: threading.Event
    started: int
    finished: int

    def check(self, text, lang=None):  # type: ignore[override]
        self.started += 1
        try:
            self.gate.wait(120)
            return super().check(text, lang)
        finally:
            self.finished += 1


def gated(index) -> GatedGuard:
    guard = GatedGuard.open(index)
    guard.gate, guard.started, guard.finished = threading.Event(), 0, 0
    return guard


def test_overdue_checks_are_answered_503_and_cannot_pile_up(sample_index, texts):
    guard = gated(sample_index)
    app = create_app(ServiceConfig(index=str(sample_index), threads=1, queue=1, request_timeout=1.0), guard)
    body = {"text": texts["answer"]}

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            late = await client.post("/v1/check", json=body)
            assert late.status_code == 503 and "--request-timeout" in late.json()["error"]
            assert (guard.started, guard.finished) == (1, 0)  # answered, but its thread still runs

            waiting = asyncio.ensure_future(client.post("/v1/check", json=body))
            await asyncio.sleep(0.3)  # it waits for the one thread, the overdue check holds it
            refused = await client.post("/v1/check", json=body)
            assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
            assert "--queue" in refused.json()["error"]
            dropped = await waiting
            assert dropped.status_code == 503 and "--request-timeout" in dropped.json()["error"]
            assert guard.started == 1  # the check that waited past its deadline never ran

            guard.gate.set()
            deadline = time.monotonic() + 60
            while guard.finished < 1:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.02)
            fine = await client.post("/v1/check", json=body)
            assert fine.status_code == 200 and fine.json()["matches"], fine.text
            assert guard.started == 2

            metrics = (await client.get("/metrics")).text.splitlines()
            assert 'copyguard_check_timeouts_total{route="/v1/check"} 2.0' in metrics
            assert 'copyguard_checks_refused_total{route="/v1/check"} 1.0' in metrics

    try:
        asyncio.run(scenario())
    finally:
        guard.gate.set()


def test_a_batch_stops_at_its_deadline(sample_index, texts):
    guard = gated(sample_index)
    app = create_app(ServiceConfig(index=str(sample_index), threads=2, request_timeout=0.5), guard)
    items = [{"id": str(i), "text": texts["clean"]} for i in range(3)]

    async def scenario() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            return await client.post("/v1/check/batch", json={"items": items})

    try:
        reply = asyncio.run(scenario())
        assert reply.status_code == 503 and "--request-timeout" in reply.json()["error"]
        assert guard.started == 1  # the items after the overdue one were never started
    finally:
        guard.gate.set()
