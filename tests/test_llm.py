"""The provider seam (simulator.llm) against a real HTTP OpenAI-compatible server (fake_llm)."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from simulator.config import PACKAGE_DIR, Settings
from simulator.errors import LLMUnavailable
from simulator.llm.chat import chat_model
from simulator.llm.client import PLACEHOLDER_API_KEY, RetryPolicy, describe_engine
from simulator.llm.embeddings import make_embeddings
from simulator.llm.errors import provider_errors
from simulator.llm.streaming import stream_text
from simulator.llm.structured import STRUCTURED_METHODS, fallback_chain, structured_model
from simulator.llm.usage import UsageLog
from simulator.testing.fake_openai_script import ScriptedReply
from tests.fake_llm import FAKE_API_KEY, FAKE_MODEL, FakeLLM, unused_port


class Verdict(BaseModel):
    """A tiny judge-like schema."""

    score: int
    reason: str


def _invoke(settings: Settings, text: str = "hi") -> str:
    with provider_errors(settings):
        return str(chat_model(settings).invoke([HumanMessage(text)]).content)


# -- configuration -------------------------------------------------------------------------------


def test_settings_configure_the_client(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("hello from the server")
    settings = fake_llm.settings()

    assert _invoke(settings, "ping") == "hello from the server"
    request = fake_llm.received[-1]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == FAKE_MODEL
    assert request.body["messages"] == [{"role": "user", "content": "ping"}]
    assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}"


def test_keyless_local_server_gets_a_placeholder_key(fake_llm: FakeLLM) -> None:
    settings = fake_llm.settings(llm_api_key=None)

    assert settings.llm_configured  # a base URL alone is enough (Ollama needs no key)
    _invoke(settings)
    assert fake_llm.received[-1].headers["authorization"] == f"Bearer {PLACEHOLDER_API_KEY}"


def test_client_uses_the_bounded_retry_policy(fake_llm: FakeLLM) -> None:
    model = chat_model(fake_llm.settings())

    assert model.root_client.retry_policy == RetryPolicy(0.001, 0.01)  # type: ignore[attr-defined]
    assert model.root_client.max_retries == 3  # type: ignore[attr-defined]


def test_retry_policy_is_bounded() -> None:
    policy = RetryPolicy(initial_delay_s=0.5, max_delay_s=2.0)

    assert policy.delay(0, retry_after=120) == 2.0  # a server's Retry-After never exceeds the cap
    assert policy.delay(0, retry_after=0.3) == 0.3
    assert all(0.375 <= policy.delay(0) <= 0.5 for _ in range(20))
    assert all(policy.delay(10) <= 2.0 for _ in range(20))


def test_retry_policy_rejects_bad_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, content_dir=tmp_path, extra={"llm_retry_max_delay_s": "soon"})

    with pytest.raises(ValueError, match="numbers of seconds"):
        RetryPolicy.from_settings(settings)


def test_describe_engine(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path, content_dir=tmp_path)
    ollama = Settings(
        data_dir=tmp_path, content_dir=tmp_path, llm_base_url="http://localhost:11434/v1/", llm_model="qwen2.5:7b"
    )
    hosted = Settings(data_dir=tmp_path, content_dir=tmp_path, llm_api_key="sk-x", llm_model="gpt-4o-mini")
    secret = Settings(data_dir=tmp_path, content_dir=tmp_path, llm_base_url="https://user:pw@proxy.example/v1")

    assert describe_engine(base) == "offline"
    assert describe_engine(ollama) == "LLM: qwen2.5:7b @ http://localhost:11434/v1"
    assert describe_engine(hosted) == "LLM: gpt-4o-mini @ https://api.openai.com/v1"
    assert "pw" not in describe_engine(secret)


# -- retries and faults ----------------------------------------------------------------------------


def test_retries_on_500_and_429_then_succeeds(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=500)
    fake_llm.enqueue(status=429, headers={"retry-after": "30"})  # capped by the retry policy
    fake_llm.enqueue("third time lucky")

    assert _invoke(fake_llm.settings()) == "third time lucky"
    assert len(fake_llm.requests) == 3


def test_persistent_server_error_raises_llm_unavailable(fake_llm: FakeLLM) -> None:
    fake_llm.default_reply = ScriptedReply(status=503, error_message="model is loading")
    settings = fake_llm.settings(llm_max_retries=2)

    with pytest.raises(LLMUnavailable) as caught:
        _invoke(settings)

    error = caught.value
    assert error.reason == "server_error"
    assert fake_llm.base_url in str(error) and FAKE_MODEL in str(error)
    assert "model is loading" in str(error) and "503" in str(error)
    assert len(fake_llm.requests) == 3  # the first try and two retries


def test_rate_limit_that_persists_says_so(fake_llm: FakeLLM) -> None:
    fake_llm.default_reply = ScriptedReply(status=429, error_message="slow down")

    with pytest.raises(LLMUnavailable, match="429") as caught:
        _invoke(fake_llm.settings(llm_max_retries=1))
    assert caught.value.reason == "rate_limited"


def test_endpoint_down_names_the_url(fake_llm: FakeLLM) -> None:
    url = f"http://127.0.0.1:{unused_port()}/v1"
    settings = fake_llm.settings(llm_base_url=url, llm_max_retries=1)

    with pytest.raises(LLMUnavailable) as caught:
        _invoke(settings)

    assert caught.value.reason == "down"
    assert url in str(caught.value) and "DRILL_LLM_BASE_URL" in str(caught.value)


def test_slow_endpoint_times_out(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("too late", delay_s=0.5)
    settings = fake_llm.settings(llm_timeout_s=0.05, llm_max_retries=0)

    with pytest.raises(LLMUnavailable, match="DRILL_LLM_TIMEOUT") as caught:
        _invoke(settings)
    assert caught.value.reason == "timeout"


def test_auth_failure_is_not_retried(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=401, error_message="invalid api key")

    with pytest.raises(LLMUnavailable, match="DRILL_LLM_API_KEY") as caught:
        _invoke(fake_llm.settings())
    assert caught.value.reason == "auth"
    assert len(fake_llm.requests) == 1


def test_unknown_model_points_at_the_model_setting(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=404, error_message="model 'nope' not found")

    with pytest.raises(LLMUnavailable, match="DRILL_LLM_MODEL") as caught:
        _invoke(fake_llm.settings())
    assert caught.value.reason == "not_found"


@pytest.mark.parametrize("body", ["<html>502 Bad Gateway</html>", '{"unexpected": true}'])
def test_garbage_reply_is_reported(fake_llm: FakeLLM, body: str) -> None:
    fake_llm.enqueue(raw_body=body)

    with pytest.raises(LLMUnavailable, match="OpenAI-compatible") as caught:
        _invoke(fake_llm.settings())
    assert caught.value.reason == "garbage"


def test_connection_cut_mid_stream_is_reported(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("a long reply that never finishes", fail_after_chunks=2)
    settings = fake_llm.settings()
    received: list[str] = []

    with pytest.raises(LLMUnavailable) as caught:
        for delta in stream_text(chat_model(settings), [HumanMessage("hi")], settings):
            received.append(delta)
    assert caught.value.reason == "down"
    assert "".join(received) == "a long r"  # the two 4-character chunks sent before the cut


def test_our_own_errors_are_not_disguised_as_provider_faults(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, content_dir=tmp_path, llm_base_url="http://127.0.0.1:1/v1")

    with pytest.raises(ValueError, match="a bug of ours"), provider_errors(settings):
        raise ValueError("a bug of ours")


# -- usage -------------------------------------------------------------------------------------


def test_usage_is_recorded_without_streaming(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("fine", usage=(120, 7))
    log = UsageLog()

    chat_model(fake_llm.settings(), usage=log).invoke([HumanMessage("hi")])

    assert (log.calls, log.input_tokens, log.output_tokens) == (1, 120, 7)
    assert log.records[0].model == FAKE_MODEL


def test_usage_is_recorded_when_streaming(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("streamed answer", usage=(50, 9))
    fake_llm.enqueue("another", usage=(60, 3))
    settings = fake_llm.settings()
    log = UsageLog()
    model = chat_model(settings, usage=log)

    first = "".join(stream_text(model, [HumanMessage("hi")], settings))
    "".join(stream_text(model, [HumanMessage("again")], settings))

    assert first == "streamed answer"
    assert fake_llm.requests[0]["stream"] is True
    assert fake_llm.requests[0]["stream_options"] == {"include_usage": True}
    assert (log.calls, log.input_tokens, log.output_tokens) == (2, 110, 12)


# -- structured output ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", STRUCTURED_METHODS)
def test_structured_output_for_each_method(fake_llm: FakeLLM, method: str) -> None:
    if method == "function_calling":
        fake_llm.enqueue(tool_call_args={"score": 4, "reason": "clear and kind"})
    else:
        fake_llm.enqueue({"score": 4, "reason": "clear and kind"})
    runnable = structured_model(fake_llm.settings(grader_model="judge-model"), Verdict, method)

    result = runnable.invoke([HumanMessage("grade this")])

    assert result["parsed"] == Verdict(score=4, reason="clear and kind")
    assert result["parsing_error"] is None
    sent = fake_llm.requests[-1]
    assert sent["model"] == "judge-model"
    if method == "json_schema":
        assert sent["response_format"]["type"] == "json_schema"
        assert sent["response_format"]["json_schema"]["name"] == "Verdict"
    elif method == "function_calling":
        assert sent["tools"][0]["function"]["name"] == "Verdict"
        assert sent["tool_choice"]["function"]["name"] == "Verdict"
    else:
        assert sent["response_format"] == {"type": "json_object"}


def test_unparseable_structured_reply_is_returned_as_a_parsing_error(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue("I think it was a 4, roughly.")

    result = structured_model(fake_llm.settings(), Verdict, "json_mode").invoke("grade")

    assert result["parsed"] is None
    assert result["parsing_error"] is not None
    assert "a 4, roughly" in result["raw"].content


def test_rejected_method_falls_back_along_the_chain(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue(status=400, error_message="response_format json_schema is not supported")
    fake_llm.enqueue(tool_call_args={"score": 2, "reason": "no empathy"})
    settings = fake_llm.settings()
    used: list[str] = []
    result = None

    for method in fallback_chain(settings.structured_output_method):
        used.append(method)
        try:
            result = structured_model(settings, Verdict, method).invoke("grade")
            break
        except LLMUnavailable as exc:
            assert exc.reason == "bad_request"
            assert "DRILL_STRUCTURED_OUTPUT" in str(exc)

    assert used == ["json_schema", "function_calling"]
    assert result is not None and result["parsed"] == Verdict(score=2, reason="no empathy")


def test_fallback_chain() -> None:
    assert fallback_chain("json_schema") == ("json_schema", "function_calling", "json_mode")
    assert fallback_chain("json_mode") == ("json_mode", "json_schema", "function_calling")
    with pytest.raises(ValueError, match="DRILL_STRUCTURED_OUTPUT"):
        fallback_chain("xml")


# -- embeddings --------------------------------------------------------------------------------


def test_embeddings_are_deterministic_and_sized(fake_llm: FakeLLM) -> None:
    fake_llm.server.embedding_dim = 24
    embeddings = make_embeddings(fake_llm.settings(embedding_model="embed-small"))

    vectors = embeddings.embed_documents(["订单号是多少？", "Where is my parcel?"])
    again = embeddings.embed_query("订单号是多少？")

    assert [len(v) for v in vectors] == [24, 24]
    assert again == pytest.approx(vectors[0])
    assert vectors[0] != pytest.approx(vectors[1])
    body = fake_llm.received[0].body
    assert body["model"] == "embed-small"
    assert body["input"] == ["订单号是多少？", "Where is my parcel?"]  # raw text, not token ids


def test_embedding_failure_raises_llm_unavailable(fake_llm: FakeLLM) -> None:
    fake_llm.server.enqueue(endpoint="embeddings", status=401)

    with pytest.raises(LLMUnavailable) as caught:
        make_embeddings(fake_llm.settings()).embed_query("hello")
    assert caught.value.reason == "auth"


# -- the seam ----------------------------------------------------------------------------------


def test_only_llm_package_imports_a_provider_sdk() -> None:
    pattern = re.compile(r"^\s*(?:import|from)\s+(openai|langchain_openai|httpx2)\b", re.MULTILINE)
    seam = PACKAGE_DIR / "llm"
    offenders = [
        str(path.relative_to(PACKAGE_DIR))
        for path in PACKAGE_DIR.rglob("*.py")
        if seam not in path.parents and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("method", "script"),
    [
        ("json_schema", {"content": {"score": "high", "reason": "x"}}),  # wrong type
        ("json_schema", {"content": "Sure! The score is 4."}),  # not JSON at all
        ("function_calling", {"tool_call_args": "{broken json"}),
        ("function_calling", {"content": "I'd rather just say it: 4."}),  # no tool call
        ("json_mode", {"content": {"score": 4}}),  # a field missing
    ],
)
def test_replies_that_do_not_fit_the_schema_keep_the_raw_reply(fake_llm: FakeLLM, method: str, script: dict) -> None:
    fake_llm.enqueue(**script)

    result = structured_model(fake_llm.settings(), Verdict, method).invoke("grade")

    assert result["parsed"] is None
    assert result["parsing_error"] is not None
    raw = result["raw"]
    assert raw.content or raw.invalid_tool_calls or raw.tool_calls  # kept for the unscored reason


def test_structured_output_with_a_json_schema_dict(fake_llm: FakeLLM) -> None:
    fake_llm.enqueue({"score": 5, "reason": "textbook"})

    result = structured_model(fake_llm.settings(), Verdict.model_json_schema(), "json_schema").invoke("x")

    assert result["parsed"] == {"score": 5, "reason": "textbook"}


# -- the fake server itself (benchmarks reuse it outside pytest) -------------------------------


def test_fake_server_lists_models_and_applies_latency(fake_llm: FakeLLM) -> None:
    with urllib.request.urlopen(f"{fake_llm.base_url}/models", timeout=5) as response:
        models = json.loads(response.read())
    assert [m["id"] for m in models["data"]] == [FAKE_MODEL]

    fake_llm.latency.first_token_s = 0.01
    fake_llm.latency.per_chunk_s = 0.002
    fake_llm.enqueue("slow but complete")
    settings = fake_llm.settings()
    assert "".join(stream_text(chat_model(settings), [HumanMessage("hi")], settings)) == "slow but complete"
    assert fake_llm.server.pending == 0  # the scripted reply was consumed; the default answers next
    assert _invoke(settings) == "OK"
