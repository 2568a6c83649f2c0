"""Request and response models of every route: the service's contract, and its OpenAPI schema.

Requests are strict (``"redact": "yes"`` is refused, not read as true) and
copyguard's own routes refuse unknown fields, so a typo names itself in
the 422. The LiteLLM and Azure shapes accept the extra fields those
callers send.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Action = Literal["allow", "annotate", "redact", "block"]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class CheckRequest(_Strict):
    text: str = Field(description="the model output to check")
    lang: str | None = Field(None, description="treat the whole text as this language ('prose' or a code language)")
    redact: bool = Field(False, description="also return the text with every copy replaced by a marker")


class MatchModel(BaseModel):
    source: str
    license: str | None
    kind: str = Field(description="verbatim, renamed or near")
    similarity: float
    output_span: tuple[int, int] = Field(description="[start, end) in the checked text, in code points")
    source_span: tuple[int, int] = Field(description="[start, end) in the source text, in code points")
    lang: str
    tokens: int
    renames: dict[str, str] = Field(default_factory=dict, description="output identifier -> source identifier")
    source_path: str | None = None
    index: str | None = Field(None, description="the index holding the source, when several are checked")
    action: Action | None = Field(None, description="what the policy does with this match")
    rule: str | None = Field(None, description="the policy rule that gives that action")


class Decision(BaseModel):
    match: int = Field(description="position in matches")
    action: Action
    rule: str


class CheckResponse(BaseModel):
    model_config = ConfigDict(extra="allow")  # later verdict fields pass through

    action: Action
    decided_by: Decision | None = Field(None, description="the first match whose action is the verdict's")
    matches: list[MatchModel]
    truncated: bool | None = Field(None, description="true when a bound of the check left part of the text "
                                                     "unexamined (README, Reliability); absent otherwise")
    redacted: str | None = Field(None, description="present when the request asked for redaction")


class BatchItem(_Strict):
    id: str | int = Field(description="echoed in the result")
    text: str
    lang: str | None = None


class BatchRequest(_Strict):
    items: list[BatchItem] = Field(max_length=1000)
    redact: bool = False


class BatchResult(CheckResponse):
    id: str | int


class BatchResponse(BaseModel):
    results: list[BatchResult]


class ReviewRequest(_Strict):
    text: str
    lang: str | None = None


class Health(BaseModel):
    status: Literal["ok"]


class IndexState(BaseModel):
    path: str
    generation: int = Field(description="the manifest generation the service answers from")
    live_sources: int
    live_passages: int


class Ready(BaseModel):
    status: Literal["ready"]
    generation: int = Field(description="the sum of the indexes' generations: it grows whenever any of them commits")
    live_sources: int = Field(description="summed over every index the service checks against")
    live_passages: int = Field(description="summed over every index the service checks against")
    indexes: list[IndexState] = Field(description="each index, in the order given to `serve`")


class Version(BaseModel):
    copyguard: str
    index_format: int
    generation: int = Field(description="the sum of the indexes' generations, as in /readyz")
    params: dict


class ErrorResponse(BaseModel):
    error: str = Field(description="one line that says what was wrong")
    field: str | None = Field(None, description="the request field at fault, dotted ('items.3.text')")


# --- LiteLLM's generic guardrail API (POST /beta/litellm_basic_guardrail_api) ------------------

class LiteLLMRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    texts: list[str] | None = None
    images: list[str] | None = None
    input_type: Literal["request", "response"] = "response"
    litellm_call_id: str | None = None
    litellm_trace_id: str | None = None
    additional_provider_specific_params: dict | None = None


class LiteLLMResponse(BaseModel):
    action: Literal["BLOCKED", "NONE", "GUARDRAIL_INTERVENED"]
    blocked_reason: str | None = None
    texts: list[str] | None = Field(None, description="the redacted texts, when the action is GUARDRAIL_INTERVENED")
    copyguard: list[CheckResponse] = Field(description="copyguard's verdict for each text, with its spans")


# --- Azure AI Content Safety's protected-material routes ----------------------------------------

class AzureTextRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    text: str


class AzureCodeRequest(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: str


class CodeCitation(BaseModel):
    license: str
    sourceUrls: list[str]


class ProtectedMaterialAnalysis(BaseModel):
    detected: bool
    codeCitations: list[CodeCitation] | None = None


class AzureResponse(BaseModel):
    protectedMaterialAnalysis: ProtectedMaterialAnalysis
    copyguard: CheckResponse = Field(description="copyguard's verdict, with its spans")
