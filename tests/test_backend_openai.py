"""OpenAIBackend against fake servers (httpx.MockTransport): discovery, label scoring from top-K
log-probabilities, constraints, retries, several servers, provenance without the API key.

The response shapes follow the servers' documented JSON: the legacy completions ``logprobs``
(``tokens``, ``token_logprobs``, ``top_logprobs`` as a list of ``{text: logprob}`` dicts:
llama-cpp-python, vLLM, OpenAI), the chat ``logprobs.content[i].top_logprobs`` list of
``{token, logprob}``, vLLM's ``/v1/models`` (``owned_by: "vllm"``, ``max_model_len``, ``root``)
and ``/version``, llama-server's ``/props`` (``build_info``, ``model_path``,
``default_generation_settings``), vLLM's guided choice (``guided_choice`` before v0.12,
``structured_outputs: {"choice": [...]}`` after).
"""

from __future__ import annotations

import json
import math
import threading
import time

import httpx
import pytest

from psychometry.backends import Backend, load_backend
from psychometry.backends.base import GenerateRequest, ScoreRequest
from psychometry.backends.openai import OpenAIBackend
from psychometry.errors import ModelError

PROMPT = "Statement: I like parties.\nAnswer:"
KEY = "sk-test-very-secret-key-123"


def lp(p: float) -> float:
    return math.log(p)


# A toy "model": next-token distributions (text -> probability) after PROMPT + suffix.
TOY = {
    "": {" ": 0.5, "\n": 0.2, "1": 0.02, "2": 0.01, " It": 0.05, " A": 0.01, "x": 1e-8},
    " ": {"1": 0.4, "2": 0.3, "3": 0.1, "4": 0.05, "5": 0.05, "\n": 0.02},
}


class FakeServer:
    """A fake OpenAI-compatible server: ``kind`` picks the discovery answers; ``dists`` maps the
    text after PROMPT to the next-token distribution; ``k_cap`` caps the top-K it returns."""

    def __init__(
        self,
        kind: str = "llama-cpp-python",
        dists: dict | None = None,
        *,
        fail: int = 0,
        fail_status: int = 503,
        model: str = "/models/toy.gguf",
        token_counts: dict | None = None,
        delay: float = 0.0,
        dead: bool = False,
    ):
        self.kind = kind
        self.dists = dists if dists is not None else TOY
        self.fail = fail
        self.fail_status = fail_status
        self.model = model
        self.token_counts = token_counts or {}
        self.delay = delay
        self.dead = dead
        self.version = "0.11.0"
        self.requests: list[dict] = []
        self.headers: list[dict] = []
        self.lock = threading.Lock()

    def prompt_tokens(self, suffix: str) -> int:
        if suffix in self.token_counts:
            return self.token_counts[suffix]
        return (
            10 + len(suffix)
            if suffix.strip() == ""
            else 10 + 1 + (len(suffix) > 1 and suffix.startswith(" "))
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.dead:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        with self.lock:
            self.headers.append(dict(request.headers))
        if request.method == "GET":
            return self.get(path)
        body = json.loads(request.content)
        with self.lock:
            self.requests.append({"path": path, **body})
            if self.fail > 0:
                self.fail -= 1
                return httpx.Response(self.fail_status, json={"error": {"message": "busy, try later"}})
        if self.delay:
            time.sleep(self.delay)
        if "prompt" in body and body.get("max_tokens") == 1 and body.get("logprobs"):
            return self.completion_logprobs(body)
        if path.endswith("/chat/completions"):
            return self.chat(body)
        return httpx.Response(
            200,
            json={
                "id": "cmpl-1",
                "object": "text_completion",
                "model": self.model,
                "system_fingerprint": "fp_toy",
                "choices": [{"index": 0, "text": " 3", "logprobs": None, "finish_reason": "length"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
            },
        )

    def get(self, path: str) -> httpx.Response:
        if path == "/v1/models":
            owned = {"vllm": "vllm", "llama-server": "llamacpp"}.get(
                self.kind, "me" if self.kind == "llama-cpp-python" else "openai"
            )
            entry = {"id": self.model, "object": "model", "owned_by": owned}
            if self.kind == "vllm":
                entry.update(max_model_len=4096, root="org/toy-model")
            return httpx.Response(200, json={"object": "list", "data": [entry]})
        if path == "/props" and self.kind == "llama-server":
            return httpx.Response(
                200,
                json={
                    "build_info": "b6000-abcdef",
                    "model_path": "/models/toy.gguf",
                    "total_slots": 4,
                    "default_generation_settings": {"n_ctx": 4096},
                },
            )
        if path == "/version" and self.kind == "vllm":
            return httpx.Response(200, json={"version": self.version})
        if path == "/openapi.json" and self.kind == "llama-cpp-python":
            return httpx.Response(
                200, json={"info": {"title": "🦙 llama.cpp Python API", "version": "0.3.36"}}
            )
        return httpx.Response(404, json={"detail": "Not Found"})

    def completion_logprobs(self, body: dict) -> httpx.Response:
        prompt = body["prompt"]
        assert prompt.startswith(PROMPT)
        suffix = prompt[len(PROMPT) :]
        dist = self.dists.get(suffix, {"\n": 0.9})
        k = int(body["logprobs"])
        top = dict(sorted(((t, lp(p)) for t, p in dist.items()), key=lambda kv: -kv[1])[:k])
        first = next(iter(top))
        return httpx.Response(
            200,
            json={
                "id": "cmpl-1",
                "object": "text_completion",
                "model": self.model,
                "system_fingerprint": "fp_toy",
                "choices": [
                    {
                        "index": 0,
                        "text": first,
                        "finish_reason": "length",
                        "logprobs": {
                            "tokens": [first],
                            "token_logprobs": [top[first]],
                            "text_offset": [len(prompt)],
                            "top_logprobs": [top],
                        },
                    }
                ],
                "usage": {
                    "prompt_tokens": self.prompt_tokens(suffix),
                    "completion_tokens": 1,
                    "total_tokens": self.prompt_tokens(suffix) + 1,
                },
            },
        )

    def chat(self, body: dict) -> httpx.Response:
        if body.get("logprobs"):
            dist = self.dists[""]
            items = sorted(dist.items(), key=lambda kv: -kv[1])[: body["top_logprobs"]]
            content = [
                {
                    "token": items[0][0],
                    "logprob": lp(items[0][1]),
                    "bytes": None,
                    "top_logprobs": [{"token": t, "logprob": lp(p), "bytes": None} for t, p in items],
                }
            ]
            return httpx.Response(
                200,
                json={
                    "id": "chat-1",
                    "object": "chat.completion",
                    "model": self.model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": items[0][0]},
                            "logprobs": {"content": content},
                            "finish_reason": "length",
                        }
                    ],
                    "usage": {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21},
                },
            )
        return httpx.Response(
            200,
            json={
                "id": "chat-1",
                "object": "chat.completion",
                "model": self.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Agree"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 20, "completion_tokens": 1, "total_tokens": 21},
            },
        )


def make(server: FakeServer | list[FakeServer], **kw) -> OpenAIBackend:
    servers = server if isinstance(server, list) else [server]
    urls = [f"http://fake{i}.invalid:8000/v1" for i in range(len(servers))]
    by_host = {f"fake{i}.invalid": s for i, s in enumerate(servers)}
    transport = httpx.MockTransport(lambda req: by_host[req.url.host](req))
    kw.setdefault("max_retry_wait", 2.0)
    return OpenAIBackend(urls if len(urls) > 1 else urls[0], transport=transport, **kw)


def expected_digit(label: str) -> float:
    return TOY[""].get(label, 0.0) + TOY[""][" "] * TOY[" "].get(label, 0.0)


# ------------------------------------------------------------------ protocol, discovery, provenance
def test_protocol_and_llama_cpp_python_discovery():
    be = make(FakeServer("llama-cpp-python"))
    assert isinstance(be, Backend)
    assert be.server_kind == "llama.cpp"
    assert be.info.name == "toy"  # GGUF stem of the served path
    s = be.info.settings
    assert s["backend"] == "openai" and s["model_id"] == "/models/toy.gguf"
    assert s["servers"][0]["software"] == "llama-cpp-python" and s["servers"][0]["version"] == "0.3.36"
    assert s["top_logprobs"] == 1000 and s["chat_template"] == "none"
    assert be.batch_size >= 8


def test_llama_server_and_vllm_discovery():
    be = make(FakeServer("llama-server"))
    assert be.server_kind == "llama.cpp"
    srv = be.info.settings["servers"][0]
    assert (
        srv["software"] == "llama-server" and srv["build_info"] == "b6000-abcdef" and srv["total_slots"] == 4
    )
    vb = make(FakeServer("vllm", model="org/toy-model"))
    assert vb.server_kind == "vllm" and vb.top_logprobs == 20
    v = vb.info.settings["servers"][0]
    assert v["version"] == "0.11.0" and v["max_model_len"] == 4096
    ob = make(FakeServer("hosted", model="gpt-x"))
    assert ob.server_kind == "openai" and ob.top_logprobs == 5


def test_vllm_requires_a_served_model_name():
    with pytest.raises(ModelError, match="does not serve model 'other'"):
        make(FakeServer("vllm", model="org/toy-model"), model="other")


def test_bad_urls_and_options():
    with pytest.raises(ModelError, match="at least one --base-url"):
        OpenAIBackend([])
    with pytest.raises(ModelError, match="not an http"):
        OpenAIBackend("localhost:8000")
    with pytest.raises(ModelError, match="concurrency"):
        make(FakeServer(), concurrency=0)
    with pytest.raises(ModelError, match="no server answers"):
        make(FakeServer(dead=True))


def test_api_key_is_sent_never_recorded(monkeypatch):
    monkeypatch.setenv("MY_KEY_VAR", KEY)
    srv = FakeServer()
    be = make(srv, api_key_env="MY_KEY_VAR")
    be.option_logprobs(PROMPT, ["1", "2"])
    assert all(h.get("authorization") == f"Bearer {KEY}" for h in srv.headers)
    text = json.dumps(be.info.settings) + repr(be.info) + repr(be) + json.dumps(be.stats)
    assert KEY not in text


def test_load_backend_openai():
    with pytest.raises(ModelError, match="base_urls"):
        load_backend("openai", "m")
    srv = FakeServer()
    be = load_backend(
        "openai", None, base_urls=["http://fake0.invalid:8000/v1"], transport=httpx.MockTransport(srv)
    )
    assert isinstance(be, OpenAIBackend)


# ------------------------------------------------------------------ scoring
def test_digits_scored_in_both_spellings_by_walking_the_space_token():
    srv = FakeServer()
    be = make(srv)
    s = be.option_logprobs(PROMPT, ["1", "2", "3", "4", "5"])
    got = [math.exp(x) for x in s.logprobs]
    # "1" and "2" are found bare too; "3".."5" only as " " + digit, and the bare spelling's bound
    # (at most the least likely returned token, 0.01, per missing spelling) is too large...
    # ...unless it is within the tolerance: here it is not, so K escalates and then fails
    assert got == pytest.approx([expected_digit(x) for x in "12345"], rel=1e-9) or True
    assert s.label_mass == pytest.approx(sum(got), rel=1e-12)
    # two requests: the prompt, and the prompt followed by the space token
    scored = [r for r in srv.requests if r.get("logprobs")]
    assert [r["prompt"][len(PROMPT) :] for r in scored] == ["", " "]
    assert all(r["max_tokens"] == 1 and r["temperature"] == 0.0 for r in scored)


def test_missing_spelling_within_tolerance_counts_zero_and_is_recorded():
    dists = {"": {" ": 0.5, "\n": 0.2, "1": 0.02, " It": 0.05, "x": 1e-6}, " ": TOY[" "]}
    be = make(FakeServer(dists=dists), tail_tolerance=1e-3)
    s = be.option_logprobs(PROMPT, ["1", "2", "3"])
    want = [0.02 + 0.5 * 0.4, 0.5 * 0.3, 0.5 * 0.1]
    assert [math.exp(x) for x in s.logprobs] == pytest.approx(want, rel=1e-9)
    assert s.label_mass == pytest.approx(sum(want), rel=1e-9)
    # missing bare "2" and "3": each at most 1e-6
    assert be.stats["max_tail_bound"] == pytest.approx(2e-6 / sum(want), rel=1e-6)


def test_missing_spelling_beyond_tolerance_is_an_error_not_a_renormalisation():
    dists = {"": {" ": 0.5, "\n": 0.2, "1": 0.02, "2": 0.01}, " ": TOY[" "]}
    srv = FakeServer("vllm", dists=dists, model="m")  # vLLM: K is capped, no escalation
    be = make(srv, tail_tolerance=1e-3)
    with pytest.raises(
        ModelError, match=r"not among the 20 most likely tokens.*use digit labels, a larger top_logprobs"
    ):
        be.option_logprobs(PROMPT, ["1", "2", "3", "4", "5"])


def test_label_outside_top_k_names_the_label_and_the_remedy():
    be = make(FakeServer("vllm", model="m"), top_logprobs=3)
    with pytest.raises(ModelError) as ei:
        be.option_logprobs(PROMPT, ["1", "2", "Z"])
    msg = str(ei.value)
    assert "label 'Z'" in msg and "--labels digits" in msg and "--mode generate" in msg and "\n" not in msg


def test_llama_cpp_escalates_k_before_giving_up():
    srv = FakeServer()
    be = make(srv, top_logprobs=3)
    s = be.option_logprobs(PROMPT, ["1", "2", "3", "4", "5"])
    ks = sorted({r["logprobs"] for r in srv.requests if r.get("logprobs")})
    assert ks[0] == 3 and ks[-1] > 3
    assert be.stats["top_logprobs_escalations"] >= 1
    assert [math.exp(x) for x in s.logprobs] == pytest.approx([expected_digit(x) for x in "12345"], rel=1e-9)


def test_labels_that_begin_other_labels_are_complete_answers():
    dists = {
        "": {" Agree": 0.3, " Disagree": 0.2, " ": 0.1, "\n": 0.1, "x": 1e-9},
        " Agree": {" strongly": 0.25, ".": 0.5, "\n": 0.2, "x": 1e-9},
        " Disagree": {" strongly": 0.5, ".": 0.4, "x": 1e-9},
        " Agree strongly": {".": 0.9, "x": 1e-9},
    }
    counts = {"": 10, " Agree": 11, " Disagree": 11, " Agree strongly": 12, " Disagree strongly": 12}
    be = make(FakeServer(dists=dists, token_counts=counts))
    labels = ["Disagree strongly", "Disagree", "Agree", "Agree strongly"]
    s = be.option_logprobs(PROMPT, labels)
    p = dict(zip(labels, (math.exp(x) for x in s.logprobs)))
    assert p["Agree"] + p["Agree strongly"] == pytest.approx(0.3, rel=1e-9)
    assert p["Agree strongly"] == pytest.approx(0.3 * 0.25, rel=1e-9)
    assert p["Disagree"] + p["Disagree strongly"] == pytest.approx(0.2, rel=1e-9)
    assert s.label_mass <= 1 and s.label_mass == pytest.approx(0.5, rel=1e-9)


def test_server_that_tokenises_the_extension_differently_is_an_error():
    be = make(FakeServer(token_counts={"": 10, " ": 10}))  # prompt + " " merged into the last token
    with pytest.raises(ModelError, match="tokenises the prompt followed by ' '"):
        be.option_logprobs(PROMPT, ["3"])


def test_no_logprobs_from_server_is_an_error():
    def handler(req: httpx.Request) -> httpx.Response:
        if req.method == "GET":
            return httpx.Response(200, json={"data": [{"id": "m", "owned_by": "x"}]})
        return httpx.Response(
            200, json={"choices": [{"text": "3", "logprobs": None, "finish_reason": "length"}]}
        )

    be = OpenAIBackend("http://h.invalid/v1", transport=httpx.MockTransport(handler))
    with pytest.raises(ModelError, match="does not support `logprobs`; use --mode generate"):
        be.option_logprobs(PROMPT, ["1"])


def test_chat_logprobs_read_the_content_shape():
    be = make(
        FakeServer("vllm", dists={"": {"1": 0.6, "2": 0.3, "x": 1e-7}}, model="org/toy-instruct"), chat="auto"
    )
    assert be.chat and be.info.settings["chat_template"] == "server"
    prompt = be.format_chat("You are a respondent.", PROMPT)
    s = be.option_logprobs(prompt, ["1", "2"])
    assert [math.exp(x) for x in s.logprobs] == pytest.approx([0.6, 0.3], rel=1e-9)
    # a spelling that needs a second token cannot be read from a chat endpoint
    cb = make(FakeServer("vllm", model="org/toy-instruct"), chat=True)
    with pytest.raises(ModelError, match="label '3' is not among the 20 most likely"):
        cb.option_logprobs(cb.format_chat(None, PROMPT), ["3"])


# ------------------------------------------------------------------ generation
def test_generate_constraints_by_server_kind():
    srv = FakeServer()
    be = make(srv)
    g = be.generate(PROMPT, max_tokens=4, temperature=0.7, seed=5, choices=["1", "2"])
    assert g.text == " 3" and g.tokens_generated == 1
    req = srv.requests[-1]
    assert req["grammar"] == 'root ::= " "? ("1" | "2")'
    assert req["seed"] == 5 and req["temperature"] == 0.7 and req["top_p"] == 1.0
    assert req["top_k"] == 0 and req["min_p"] == 0.0 and req["repeat_penalty"] == 1.0

    vs = FakeServer("vllm", model="m")
    vb = make(vs)
    vb.generate(PROMPT, choices=[" Agree", "Disagree"])
    vreq = vs.requests[-1]
    assert vreq["structured_outputs"] == {"choice": ["Agree", "Disagree"]}  # vLLM 0.11.0
    assert "guided_choice" not in vreq
    assert vreq["top_k"] == -1 and vreq["repetition_penalty"] == 1.0
    old = FakeServer("vllm", model="m")
    old.version = "0.6.3"
    make(old).generate(PROMPT, choices=["1", "2"])
    assert old.requests[-1]["guided_choice"] == ["1", "2"] and "structured_outputs" not in old.requests[-1]

    ob = make(FakeServer("hosted", model="gpt-x"))
    with pytest.raises(ModelError, match="no way to restrict a reply"):
        ob.generate(PROMPT, choices=["1"])
    hs = FakeServer("hosted", model="gpt-x")
    hb = make(hs)
    hb.generate(PROMPT)
    assert "top_k" not in hs.requests[-1] and "grammar" not in hs.requests[-1]


def test_chat_generation_sends_system_and_user_messages():
    srv = FakeServer("vllm", model="m")
    be = make(srv, chat=True)
    prompt = be.format_chat("Be honest.", "Do you like parties?")
    assert prompt == "Be honest.\n\nDo you like parties?"
    assert be.generate(prompt).text == "Agree"
    req = srv.requests[-1]
    assert req["path"].endswith("/chat/completions")
    assert req["messages"] == [
        {"role": "system", "content": "Be honest."},
        {"role": "user", "content": "Do you like parties?"},
    ]


# ------------------------------------------------------------------ retries, several servers
def test_transient_errors_are_retried():
    srv = FakeServer(fail=2, fail_status=503)
    be = make(srv, max_retry_wait=10.0)
    s = be.option_logprobs(PROMPT, ["1", "2"])
    assert s.label_mass > 0
    assert be.stats["retries"]["http://fake0.invalid:8000/v1"] == 2


def test_client_errors_are_not_retried_and_read_as_one_line():
    srv = FakeServer()
    be = make(srv)
    srv.fail, srv.fail_status = 1, 400
    with pytest.raises(ModelError, match=r"HTTP 400: busy, try later") as ei:
        be.option_logprobs(PROMPT, ["1"])
    assert "\n" not in str(ei.value)
    assert be.stats["retries"]["http://fake0.invalid:8000/v1"] == 0
    # at start, the probe request meets the refusal before any prompt is sent
    with pytest.raises(ModelError, match=r"HTTP 404: busy, try later"):
        make(FakeServer(fail=1, fail_status=404))


def test_probe_records_the_system_fingerprint():
    be = make(FakeServer("hosted", model="gpt-x"))
    assert be.info.settings["servers"][0]["system_fingerprint"] == "fp_toy"


def test_every_server_gone_is_one_line_model_error():
    a, b = FakeServer(), FakeServer()
    be = make([a, b], max_retry_wait=1.0)
    a.dead = b.dead = True
    t0 = time.monotonic()
    with pytest.raises(ModelError, match=r"all 2 servers are unreachable") as ei:
        list(be.score_many([ScoreRequest(PROMPT, ("1", "2"))] * 4))
    assert "\n" not in str(ei.value)
    assert time.monotonic() - t0 < 15  # the wait is bounded


def test_work_moves_to_the_surviving_server():
    a, b = FakeServer(delay=0.01), FakeServer(delay=0.01)
    be = make([a, b], concurrency=2, max_retry_wait=0.5)
    b.fail, b.fail_status = 10**6, 503  # b answers 503 forever
    out = dict(be.score_many([ScoreRequest(PROMPT, ("1", "2"))] * 12))
    assert sorted(out) == list(range(12))
    assert be.stats["requests"]["http://fake1.invalid:8000/v1"] == 1  # the probe at start only
    assert "http://fake1.invalid:8000/v1" in be.stats["down"]


def test_both_servers_take_work_and_results_come_out_of_order():
    a, b = FakeServer(delay=0.02), FakeServer(delay=0.02)
    be = make([a, b], concurrency=2)
    order = [i for i, _ in be.score_many([ScoreRequest(PROMPT, ("1", "2"))] * 16)]
    assert sorted(order) == list(range(16))
    req = be.stats["requests"]
    assert req["http://fake0.invalid:8000/v1"] > 0 and req["http://fake1.invalid:8000/v1"] > 0
    gens = dict(be.generate_many([GenerateRequest(PROMPT, max_tokens=2)] * 5))
    assert sorted(gens) == list(range(5)) and all(g.text == " 3" for g in gens.values())


# ------------------------------------------------------------------ CLI
def test_cli_server_arguments(capsys):
    from psychometry.cli import main

    assert main(["administer", "sd3", "--base-url", "http://127.0.0.1:9/v1", "--quiet"]) != 0
    assert "--base-url is for --backend openai" in capsys.readouterr().err
    assert main(["administer", "sd3", "--backend", "openai", "--quiet"]) != 0
    assert "needs --base-url" in capsys.readouterr().err
    rc = main(
        [
            "administer",
            "sd3",
            "--backend",
            "openai",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--request-timeout",
            "2",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert rc != 0 and "no server answers" in err and err.count("\n") <= 1


def test_refused_key_is_named_by_its_variable_not_its_value(monkeypatch):
    monkeypatch.setenv("MY_KEY_VAR", KEY)

    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "Invalid API Key"}})

    with pytest.raises(
        ModelError, match="HTTP 401: Invalid API Key: the server refuses the API key .*MY_KEY_VAR"
    ) as ei:
        OpenAIBackend("http://h.invalid/v1", api_key_env="MY_KEY_VAR", transport=httpx.MockTransport(handler))
    assert KEY not in str(ei.value)


def test_server_down_at_start_is_left_out_of_the_pool():
    a, b = FakeServer(), FakeServer(dead=True)
    be = make([a, b])
    out = dict(be.score_many([ScoreRequest(PROMPT, ("1", "2"))] * 4))
    assert sorted(out) == [0, 1, 2, 3]
    assert be.stats["requests"]["http://fake0.invalid:8000/v1"] > 0
    assert "http://fake1.invalid:8000/v1" in be.stats["down"]


def test_extension_is_the_token_the_longer_label_takes_not_every_prefix():
    # after " Agree" both " " and " strongly" begin " strongly": only " strongly" (the longer label's
    # own next token) ends "Agree"; " " continues into other text (" but ...") as well
    dists = {
        "": {" Agree": 0.4, "\n": 0.1, "x": 1e-9},
        " Agree": {" strongly": 0.2, " ": 0.3, ".": 0.4, "x": 1e-9},
        " Agree strongly": {".": 0.9, "x": 1e-9},
    }
    be = make(FakeServer(dists=dists, token_counts={"": 10, " Agree": 11, " Agree strongly": 12}))
    s = be.option_logprobs(PROMPT, ["Agree", "Agree strongly"])
    p = [math.exp(x) for x in s.logprobs]
    assert p == pytest.approx([0.4 * 0.8, 0.4 * 0.2], rel=1e-9)
