"""Every route of `copyguard serve`, against a real server process on a loopback port."""

from __future__ import annotations

import pytest

TOMLI, JARGON = "corpus/tomli/_parser.py", "corpus/jargon/hacker-writing-style.txt"


def sources(verdict: dict) -> set[str]:
    return {m["source"] for m in verdict["matches"]}


def test_check_returns_the_verdict_spans_and_redaction(server, texts):
    status, body = server.post("/v1/check", {"text": texts["answer"], "redact": True})
    assert status == 200
    assert body["action"] == "block" and sources(body) == {TOMLI, JARGON}
    tomli = next(m for m in body["matches"] if m["source"] == TOMLI)
    s, e = tomli["output_span"]
    assert "idx += 1" in texts["answer"][s:e] and tomli["kind"] == "renamed" and tomli["renames"]["idx"] == "pos"
    assert "[copyguard: removed" in body["redacted"] and "idx += 1" not in body["redacted"]


def test_clean_text_is_allowed_without_a_redacted_field(server, texts):
    assert server.post("/v1/check", {"text": texts["clean"]}) == (200, {"action": "allow", "matches": []})


def test_batch_keeps_ids_and_order(server, texts):
    items = [{"id": "a", "text": texts["clean"]}, {"id": 7, "text": texts["answer"]},
             {"id": "p", "text": texts["paragraph"]}]
    status, body = server.post("/v1/check/batch", {"items": items})
    assert status == 200
    assert [(r["id"], r["action"]) for r in body["results"]] == [("a", "allow"), (7, "block"), ("p", "redact")]
    assert sources(body["results"][2]) == {JARGON}


def test_review_returns_both_sides_of_each_match(server, texts):
    status, body = server.post("/v1/review", {"text": texts["answer"]})
    assert status == 200 and body["action"] == "block"
    tomli = next(s for s in body["sources"] if s["source"] == TOMLI)
    assert tomli["license"] == "MIT" and tomli["action"] == "block"
    a0, a1, _ = tomli["answer"]["spans"][0]
    o0, o1, _ = tomli["original"]["spans"][0]
    assert "idx += 1" in tomli["answer"]["text"][a0:a1]
    assert "pos += 1" in tomli["original"]["text"][o0:o1]  # the source's own names on the source side


@pytest.mark.parametrize("body, field", [
    (b"not json", "body"),
    (b'{"text": 5}', "text"),
    (b'{"text": "x", "redact": "yes"}', "redact"),
    (b'{"text": "x", "lang": 5}', "lang"),
    (b'{"text": "x", "lang": "klingon"}', "lang"),
    (b'{"txt": "x"}', "text"),
    (b"[]", "body"),
])
def test_bad_requests_get_422_naming_the_field(server, body, field):
    status, reply = server.post("/v1/check", body)
    assert status == 422 and reply["field"] == field, reply
    assert isinstance(reply["error"], str) and "\n" not in reply["error"]


def test_a_bad_batch_item_is_named_by_its_position(server):
    status, reply = server.post("/v1/check/batch", {"items": [{"id": 1, "text": "ok"}, {"id": 2, "text": None}]})
    assert (status, reply["field"]) == (422, "items.1.text")
    status, reply = server.post("/v1/check/batch", {"items": [{"id": 1.5, "text": "ok"}]})
    assert (status, reply["field"]) == (422, "items.0.id.str")  # ids are strings or integers


@pytest.mark.parametrize("method, path, allowed", [
    ("GET", "/v1/check", "POST"), ("PUT", "/v1/check", "POST"), ("OPTIONS", "/healthz", "GET"),
    ("DELETE", "/v1/check/batch", "POST"), ("POST", "/readyz", "GET"),
])
def test_wrong_methods_get_405_with_allow(server, method, path, allowed):
    status, reply, headers = server.request(method, path)
    assert status == 405 and allowed in headers["allow"] and method in reply["error"]


def test_unknown_route_is_a_json_404(server):
    status, reply, _ = server.request("GET", "/check")
    assert status == 404 and "/docs" in reply["error"]


def test_health_ready_version_and_head(server):
    assert server.request("GET", "/healthz")[:2] == (200, {"status": "ok"})
    status, ready, _ = server.request("GET", "/readyz")
    assert status == 200 and ready["live_sources"] == 18 and ready["live_passages"] > 1000
    assert [i["live_sources"] for i in ready["indexes"]] == [18] and ready["indexes"][0]["generation"] >= 1
    status, version, _ = server.request("GET", "/v1/version")
    assert status == 200 and version["copyguard"] and version["params"]["num_perm"] > 0
    assert server.request("HEAD", "/healthz")[0] == 200


def test_openapi_and_docs(server):
    status, schema, _ = server.request("GET", "/openapi.json")
    assert status == 200
    for path in ("/v1/check", "/v1/check/batch", "/beta/litellm_basic_guardrail_api",
                 "/contentsafety/text:detectProtectedMaterialForCode", "/healthz", "/metrics"):
        assert path in schema["paths"], path
    assert "CheckRequest" in schema["components"]["schemas"]
    status, page, _ = server.request("GET", "/docs")
    assert status == 200 and "swagger" in page.lower()


def test_metrics_count_requests_per_route_and_action(server, texts):
    server.post("/v1/check", {"text": texts["answer"]})
    status, text, headers = server.request("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    lines = text.splitlines()
    assert any(row.startswith('copyguard_checks_total{action="block",route="/v1/check"}') for row in lines)
    assert any(row.startswith("copyguard_request_duration_seconds_bucket") and 'action="block"' in row for row in lines)
    assert any(row.startswith("copyguard_index_live_sources{") and row.endswith(" 18.0") for row in lines)
    assert any(row.startswith("copyguard_index_generation{index=") for row in lines)
    assert any(row.startswith('copyguard_worker_requests_total{route="/v1/check",worker="') for row in lines)


# --- the shapes of LiteLLM and Azure ------------------------------------------------------------

def litellm(server, *texts: str) -> dict:
    status, body = server.post("/beta/litellm_basic_guardrail_api",
                               {"texts": list(texts), "input_type": "response", "litellm_call_id": "c1",
                                "request_data": {"user_api_key_hash": "h"}, "images": None, "tools": None,
                                "structured_messages": None, "additional_provider_specific_params": {}})
    assert status == 200, body
    return body


def test_litellm_block_names_source_and_license(server, texts):
    body = litellm(server, texts["clean"], texts["answer"])
    assert body["action"] == "BLOCKED"
    assert TOMLI in body["blocked_reason"] and "MIT" in body["blocked_reason"]
    assert [v["action"] for v in body["copyguard"]] == ["allow", "block"]
    assert body["copyguard"][1]["matches"][0]["output_span"]  # copyguard's spans ride along


def test_litellm_redact_returns_the_redacted_texts(server, texts):
    body = litellm(server, texts["clean"], texts["paragraph"])
    assert body["action"] == "GUARDRAIL_INTERVENED"
    assert body["texts"][0] == texts["clean"]
    assert "[copyguard: removed" in body["texts"][1] and "balanced delimiters" not in body["texts"][1]


@pytest.mark.parametrize("name, action", [("clean", "allow"), ("distro", "annotate")])
def test_litellm_allow_and_annotate_are_none(server, texts, name, action):
    body = litellm(server, texts[name])
    assert body["action"] == "NONE" and "texts" not in body
    assert body["copyguard"][0]["action"] == action


def test_azure_text_route(server, texts):
    status, body = server.post("/contentsafety/text:detectProtectedMaterial?api-version=2024-09-01",
                               {"text": texts["paragraph"]})
    assert status == 200 and body["protectedMaterialAnalysis"] == {"detected": True}
    assert sources(body["copyguard"]) == {JARGON}
    status, body = server.post("/contentsafety/text:detectProtectedMaterial", {"text": texts["clean"]})
    assert body["protectedMaterialAnalysis"] == {"detected": False}


def test_azure_code_route_cites_license_and_source(server, texts):
    status, body = server.post("/contentsafety/text:detectProtectedMaterialForCode", {"code": texts["distro"]})
    assert status == 200
    analysis = body["protectedMaterialAnalysis"]
    assert analysis["detected"] is True
    assert [c["license"] for c in analysis["codeCitations"]] == ["Apache-2.0"]
    assert any(url.endswith("distro/distro.py") for url in analysis["codeCitations"][0]["sourceUrls"])
    status, reply = server.post("/contentsafety/text:detectProtectedMaterialForCode", {"text": "x"})
    assert (status, reply["field"]) == (422, "code")


def test_the_page_is_served(server):
    status, page, headers = server.request("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'id="answer"' in page and "v1/review" in page
    assert '<script id="data" type="application/json">null</script>' in page  # live mode


def test_a_truncated_check_says_so(server):
    """Past the guard's bound on code blocks the verdict is marked truncated, and the service passes that on."""
    text = "".join(f"Step {i}:\n\n```python\nx{i} = {i}\n```\n\n" for i in range(300))
    status, reply = server.post("/v1/check", {"text": text})
    assert status == 200 and reply["truncated"] is True, reply
    status, reply = server.post("/v1/check", {"text": "```python\nx = 1\n```\n"})
    assert status == 200 and "truncated" not in reply
    schema = server.request("GET", "/openapi.json")[1]
    assert "truncated" in schema["components"]["schemas"]["CheckResponse"]["properties"]
