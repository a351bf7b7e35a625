"""OpenAI-compatible HTTP servers: llama.cpp's ``llama-server``, the llama-cpp-python server, vLLM,
or a hosted API.

The backend speaks the OpenAI completions API (``/v1/completions``; ``/v1/chat/completions`` when
``chat=True``) through :mod:`httpx`, with ``concurrency`` requests in flight per server and any
number of servers (``base_urls``) fed from one shared queue: each server takes the next prompt as
soon as one of its slots frees up, so a slow server takes less work, and a server that goes away
hands its unfinished prompts back to the others.

Scoring labels (``option_logprobs``)
------------------------------------
A server does not give the whole next-token distribution, only the ``top_logprobs`` most likely
tokens, as text. Each label is scored in the same two spellings as the in-process backend (bare and
with one leading space, :func:`psychometry.backends.llama.label_variants`), combined with
log-sum-exp. A spelling is found by walking the text:

* request ``prompt`` with ``max_tokens=1`` and ``logprobs=K`` (the top-K next tokens as text);
* if the spelling itself is one of the returned tokens, its log-probability is read off;
* otherwise, if a returned token is a proper prefix of the spelling (Gemma writes ``" 3"`` as
  ``" "`` then ``"3"``), its log-probability is added and the walk continues with
  ``prompt + prefix`` (one more request; the server's prefix cache makes it cheap), longest
  prefix first, exactly the chain rule the in-process backend applies to a multi-token label;
* a label that begins another label (``"Agree"`` / ``"Agree strongly"``) is scored as a complete
  answer, ``P(Agree) * (1 - P(" strongly" | prompt + "Agree"))``, as in the in-process backend.

Each extension request must add exactly one token to the prompt (checked on the server's
``usage.prompt_tokens``): otherwise the server tokenised ``prompt + prefix`` differently from the
prompt followed by the token, and the walk would not be the chain rule; that is a
:class:`~psychometry.errors.ModelError`.

What the top-K cannot give is never guessed. A spelling that is not among the top K (nor any of
its prefixes) has probability at most that of the K-th token; a **label** none of whose spellings
is found raises :class:`~psychometry.errors.ModelError` (use digit labels, a larger
``top_logprobs``, or ``--mode generate``). A missing *second* spelling of a found label (the bare
``"3"`` after ``"Answer:"`` when the model writes ``" 3"``) is counted as 0 only when the bound on
all missing mass is at most ``tail_tolerance`` (default 0.001) of the label mass, i.e. when it can
change no normalised option probability by more than that; otherwise ``ModelError`` again.
``label_mass`` is the sum of the label probabilities found. ``stats["max_tail_bound"]`` records the
largest relative bound met.

Generation
----------
``generate`` posts the prompt to ``/v1/completions`` (or the messages to
``/v1/chat/completions`` when ``chat=True``): greedy at temperature 0, else sampled with the
request's ``seed`` from the full distribution (``top_p=1``, and on llama.cpp / vLLM ``top_k``,
``min_p`` and repetition penalties off). ``choices`` is enforced with a GBNF grammar
(llama.cpp servers: :func:`psychometry.backends.llama.labels_grammar`) or vLLM's guided choice;
a hosted API has no such constraint and raises ``ModelError``.

Continuation log-likelihoods
----------------------------
Not offered: :meth:`OpenAIBackend.loglikelihood_many` refuses in one line, naming why for the server
kind. They need the log-probability of every *prompt* token (the OpenAI ``echo`` of legacy
completions), and no server this backend is tested against gives it correctly: the llama-cpp-python
server's echoed ``token_logprobs`` are shifted by one position (each prompt token gets the
log-probability of the next position's distribution; llama-cpp-python issue #1983, measured in
``docs/backends.md``), and llama-server returns log-probabilities for generated tokens only
(llama.cpp issue #27174). vLLM's ``prompt_logprobs`` would give them, but no vLLM server can run
here to test it, so it is refused too. Use the in-process llama.cpp backend.

Retries
-------
429, 5xx, connection errors and timeouts are retried with exponential backoff (0.5 s doubling,
at most 8 s a wait, ``Retry-After`` honoured up to that) until ``max_retry_wait`` seconds have
passed since the request first failed; the server is then taken out of the pool and its
unfinished prompts go back into the queue. When no server is left the batch raises one
``ModelError`` line. Other HTTP errors (400, 401, 404...) are the user's to fix and raise at once.

The API key comes from the environment variable ``api_key_env`` (default ``OPENAI_API_KEY``); it
is sent as a bearer token and never stored: :attr:`info` records the server URLs, the model id the
server reports, the server kind and its version / build / ``system_fingerprint`` (from one
one-token probe request per server at start, which also checks the model name and the endpoint),
not the key.
"""

from __future__ import annotations

import json
import math
import os
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePath
from typing import Any

from ..errors import ModelError
from .base import (
    GenerateRequest,
    Generation,
    Loglikelihood,
    LoglikelihoodRequest,
    Message,
    ModelInfo,
    OptionScores,
    ScoreRequest,
    one_turn,
    transcript,
)
from .llama import _INSTRUCT_RE, _log1m, _logsumexp, label_variants, labels_grammar

__all__ = ["DEFAULT_TOP_LOGPROBS", "SERVER_KINDS", "OpenAIBackend"]

#: ``auto`` detects the server from ``/props`` (llama.cpp), ``/v1/models`` ``owned_by`` and
#: ``/version`` (vLLM), the OpenAPI title (llama-cpp-python); ``openai`` is anything else.
SERVER_KINDS = ("auto", "llama.cpp", "vllm", "openai")

#: top tokens asked for per position when ``top_logprobs`` is not given: llama.cpp servers have no
#: limit (the llama-cpp-python server sorts the whole vocabulary whatever K is), vLLM's default
#: ``--max-logprobs`` is 20, OpenAI's legacy completions allow 5 and chat completions 20.
DEFAULT_TOP_LOGPROBS = {"llama.cpp": 1000, "vllm": 20, "openai": 5}

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class _NeedMoreTokens(ModelError):
    """A label (spelling) is not among the top K tokens: a larger K may find it."""


class _ServerDown(Exception):
    """A server stopped answering (retry budget spent); its work goes back to the queue."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"{url}: {why}")
        self.url = url
        self.why = why


def _error_text(resp: Any) -> str:
    """The server's error message from a failed response, shortened to one line."""
    try:
        body = resp.json()
        err = body.get("error", body) if isinstance(body, dict) else body
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or json.dumps(err)
        else:
            msg = str(err)
    except Exception:
        msg = resp.text
    msg = " ".join(str(msg).split())
    return msg[:300] + ("..." if len(msg) > 300 else "")


class _Server:
    """One base URL: an httpx client, retries, and counters."""

    def __init__(
        self,
        url: str,
        *,
        headers: dict[str, str],
        timeout: float,
        concurrency: int,
        max_retry_wait: float,
        transport: Any = None,
    ) -> None:
        import httpx

        self.url = url.rstrip("/")
        self.root = re.sub(r"/v1$", "", self.url)
        self.max_retry_wait = float(max_retry_wait)
        limits = httpx.Limits(max_connections=concurrency + 2, max_keepalive_connections=concurrency + 2)
        kwargs: dict[str, Any] = {
            "headers": headers,
            "timeout": httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            "limits": limits,
        }
        if transport is not None:
            kwargs["transport"] = transport
        self.client = httpx.Client(**kwargs)
        self.lock = threading.Lock()
        self.requests = 0  # answered requests
        self.retries = 0
        self.dead_since: float | None = None
        self.last_error = ""
        self.fingerprints: set[str] = set()

    def get(self, path: str, *, auth_errors: str | None = None) -> Any:
        """GET without retries (discovery); None on any failure. With ``auth_errors`` (the name of
        the key's environment variable), a 401/403 raises :class:`ModelError` instead."""
        try:
            resp = self.client.get(path if path.startswith("http") else self.url + path)
        except Exception:
            return None
        if resp.status_code in (401, 403) and auth_errors is not None:
            raise ModelError(
                f"{self.url}: HTTP {resp.status_code}: {_error_text(resp)}: the server refuses the "
                f"API key (read from the environment variable {auth_errors or '(none)'})"
            )
        if resp.status_code != 200:
            return None
        try:
            return resp.json()
        except ValueError:
            return None

    def post(self, path: str, payload: dict[str, Any], stop: threading.Event | None = None) -> dict[str, Any]:
        """POST with retries; raises :class:`_ServerDown` when the retry budget is spent and
        :class:`ModelError` for a request the server refuses."""
        import httpx

        first_failure: float | None = None
        attempt = 0
        while True:
            try:
                resp = self.client.post(self.url + path, json=payload)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                why = f"{type(exc).__name__}: {' '.join(str(exc).split()) or 'no answer'}"
                retry_after = None
            else:
                if resp.status_code == 200:
                    try:
                        body = resp.json()
                    except ValueError:
                        raise ModelError(
                            f"{self.url}{path} answered with something that is not JSON"
                        ) from None
                    with self.lock:
                        self.requests += 1
                        fp = body.get("system_fingerprint") if isinstance(body, dict) else None
                        if fp:
                            self.fingerprints.add(str(fp))
                    return body
                if resp.status_code not in _RETRY_STATUS:
                    raise ModelError(f"{self.url}{path}: HTTP {resp.status_code}: {_error_text(resp)}")
                why = f"HTTP {resp.status_code}: {_error_text(resp)}"
                retry_after = resp.headers.get("retry-after")
            self.last_error = why
            now = time.monotonic()
            if first_failure is None:
                first_failure = now
            waited = now - first_failure  # backoff and failed attempts since the first failure
            wait = min(8.0, 0.5 * 2**attempt) * (0.75 + 0.5 * random.random())
            if retry_after:
                try:
                    wait = min(8.0, max(wait, float(retry_after)))
                except ValueError:
                    pass
            if waited + wait > self.max_retry_wait or (stop is not None and stop.is_set()):
                raise _ServerDown(self.url, f"{why} (gave up after {attempt + 1} tries in {waited:.0f} s)")
            with self.lock:
                self.retries += 1
            if stop is not None:
                if stop.wait(wait):
                    raise _ServerDown(self.url, why)
            else:
                time.sleep(wait)
            attempt += 1

    def close(self) -> None:
        self.client.close()


def _top_from_choice(choice: dict[str, Any], position: int = 0) -> dict[str, float] | None:
    """The top tokens (text -> log-probability) at ``position`` of a choice's generated tokens.

    Reads the legacy completions shape (``logprobs.top_logprobs[i]`` a dict, llama-cpp-python and
    vLLM) and the content shape (``logprobs.content[i].top_logprobs`` a list of ``{token,
    logprob}``, chat completions and llama-server). The generated token itself is added (the
    legacy shape includes it, the content shape gives it as ``token``/``logprob``).
    """
    lp = choice.get("logprobs")
    if not isinstance(lp, dict):
        return None
    if isinstance(lp.get("top_logprobs"), list):
        tops = lp["top_logprobs"]
        if len(tops) <= position or not isinstance(tops[position], dict):
            return None
        out = {str(k): float(v) for k, v in tops[position].items() if v is not None}
        toks, tlps = lp.get("tokens"), lp.get("token_logprobs")
        if (
            isinstance(toks, list)
            and isinstance(tlps, list)
            and len(toks) > position
            and tlps[position] is not None
        ):
            out.setdefault(str(toks[position]), float(tlps[position]))
        return out
    content = lp.get("content")
    if isinstance(content, list):
        if len(content) <= position or not isinstance(content[position], dict):
            return None
        entry = content[position]
        out = {}
        for t in entry.get("top_logprobs") or []:
            if isinstance(t, dict) and t.get("logprob") is not None:
                out.setdefault(str(t.get("token", "")), float(t["logprob"]))
        if entry.get("logprob") is not None:
            out.setdefault(str(entry.get("token", "")), float(entry["logprob"]))
        return out
    return None


class OpenAIBackend:
    """A model behind one or more OpenAI-compatible servers.

    Parameters
    ----------
    base_urls
        One URL or several (``http://host:port/v1``); every server must serve the same model.
    model
        The served model id sent with each request; ``None`` uses the id the first server lists
        in ``/v1/models``.
    api_key, api_key_env
        The bearer token; by default read from the environment variable ``api_key_env``
        (``OPENAI_API_KEY``). Never stored in :attr:`info`.
    server_kind
        ``auto``, ``llama.cpp`` (llama-server, llama-cpp-python server), ``vllm`` or ``openai``:
        which constraint (``grammar`` / guided choice) and sampling fields the server takes.
    chat
        ``False``: prompts go to ``/v1/completions`` as they are (base models, and the
        ``format_chat`` of this backend is the raw prompt). ``True``: ``/v1/chat/completions``,
        with the server applying its chat template. ``"auto"``: ``True`` when the model id names
        an instruction-tuned model (``it``, ``instruct``, ``chat``... as a word), as the in-process
        backend's ``chat_template="auto"``.
    concurrency
        Requests in flight per server.
    top_logprobs
        K, the top tokens asked for per position (default by server kind:
        :data:`DEFAULT_TOP_LOGPROBS`).
    tail_tolerance
        Largest accepted bound on the probability of missing label spellings, relative to the
        label mass (see the module docstring).
    request_timeout, max_retry_wait
        Seconds per HTTP request; seconds of backoff spent on one request before its server is
        taken out of the pool.
    transport
        An ``httpx`` transport (tests: ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_urls: str | Sequence[str],
        model: str | None = None,
        *,
        api_key: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        server_kind: str = "auto",
        chat: bool | str = False,
        concurrency: int = 4,
        top_logprobs: int | None = None,
        tail_tolerance: float = 1e-3,
        request_timeout: float = 120.0,
        max_retry_wait: float = 60.0,
        seed: int = 0,
        transport: Any = None,
    ) -> None:
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        urls = [u.strip().rstrip("/") for u in urls if u and u.strip()]
        if not urls:
            raise ModelError(
                "the openai backend needs at least one --base-url (e.g. http://127.0.0.1:8080/v1)"
            )
        for u in urls:
            if not re.match(r"^https?://", u):
                raise ModelError(f"--base-url {u!r} is not an http(s) URL (e.g. http://127.0.0.1:8080/v1)")
        if len(set(urls)) != len(urls):
            raise ModelError("the same --base-url is given twice")
        if server_kind not in SERVER_KINDS:
            raise ModelError(f"unknown server kind {server_kind!r} (known: {', '.join(SERVER_KINDS)})")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ModelError(f"--concurrency must be a positive integer, not {concurrency!r}")
        if not request_timeout or request_timeout <= 0:
            raise ModelError(f"--request-timeout must be positive, not {request_timeout!r}")
        if top_logprobs is not None and (isinstance(top_logprobs, bool) or int(top_logprobs) < 1):
            raise ModelError(f"top_logprobs must be a positive integer, not {top_logprobs!r}")
        self._key_env = api_key_env if api_key is None else "(given as api_key)"
        if api_key is None and api_key_env:
            api_key = os.environ.get(api_key_env) or None
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.concurrency = concurrency
        self.tail_tolerance = float(tail_tolerance)
        self.seed = int(seed)
        self._servers = [
            _Server(
                u,
                headers=headers,
                timeout=float(request_timeout),
                concurrency=concurrency,
                max_retry_wait=max_retry_wait,
                transport=transport,
            )
            for u in urls
        ]
        self.calls = 0
        self.tokens_evaluated = 0
        self._chats: dict[str, list[dict[str, str]]] = {}
        self._stat_lock = threading.Lock()
        self._max_tail = 0.0
        self._escalations = 0
        #: the largest K a llama.cpp server is asked for when a label is not among the top K
        self.max_top_logprobs = 64000
        try:
            self._discover(model, server_kind)
        except BaseException:
            self.close()
            raise
        if chat == "auto":
            chat = bool(_INSTRUCT_RE.search(self.model))
        self.chat = bool(chat)
        try:
            self._probe()
        except BaseException:
            self.close()
            raise
        self.top_logprobs = (
            int(top_logprobs)
            if top_logprobs is not None
            else (
                20 if self.server_kind == "openai" and self.chat else DEFAULT_TOP_LOGPROBS[self.server_kind]
            )
        )
        #: how many prompts the engine should hand over at once: enough to keep every slot busy
        self.batch_size = max(8, 4 * concurrency * len(self._servers))
        name = self.model
        if name.lower().endswith(".gguf") or "/" in name or "\\" in name:
            name = PurePath(name.replace("\\", "/")).name
            name = name[:-5] if name.lower().endswith(".gguf") else name
        self.info = ModelInfo(
            name=name or self.model,
            path=self._model_path,
            size=0,
            sha256="",
            settings={
                "backend": "openai",
                "base_urls": [s.url for s in self._servers],
                "model_id": self.model,
                "server_kind": self.server_kind,
                "servers": self._server_info,
                "chat": self.chat,
                "chat_template": "server" if self.chat else "none",
                "top_logprobs": self.top_logprobs,
                "tail_tolerance": self.tail_tolerance,
                "concurrency": concurrency,
                "request_timeout": float(request_timeout),
                "label_end": "label then any token that does not continue it into a longer label",
                "scoring": "top-k text walk: bare and leading-space spellings, log-sum-exp",
            },
        )

    # ------------------------------------------------------------------ discovery
    def _discover(self, model: str | None, kind: str) -> None:
        infos: list[dict[str, Any]] = []
        kinds: list[str] = []
        ids_seen: list[list[str]] = []
        reachable = 0
        self._model_path = ""
        for s in self._servers:
            entry: dict[str, Any] = {"url": s.url}
            models = s.get("/models", auth_errors=self._key_env)
            data = models.get("data") if isinstance(models, dict) else None
            ids = [str(m.get("id")) for m in data or [] if isinstance(m, dict) and m.get("id")]
            owned = {str(m.get("owned_by", "")) for m in data or [] if isinstance(m, dict)}
            if models is not None:
                reachable += 1
            else:  # not in the pool until it is tried again (after 60 s)
                s.dead_since = time.monotonic()
                s.last_error = "no answer to GET /models at start"
            ids_seen.append(ids)
            entry["models"] = ids
            detected = kind
            props = s.get(s.root + "/props")
            if isinstance(props, dict) and ("default_generation_settings" in props or "build_info" in props):
                entry["software"] = "llama-server"
                for key in ("build_info", "model_path", "total_slots", "n_ctx"):
                    if key in props:
                        entry[key] = props[key]
                gen = props.get("default_generation_settings")
                if isinstance(gen, dict) and "n_ctx" in gen:
                    entry.setdefault("n_ctx", gen["n_ctx"])
                if props.get("model_path"):
                    self._model_path = self._model_path or str(props["model_path"])
                detected = "llama.cpp" if kind == "auto" else kind
            elif "vllm" in owned:
                entry["software"] = "vllm"
                ver = s.get(s.root + "/version")
                if isinstance(ver, dict) and ver.get("version"):
                    entry["version"] = str(ver["version"])
                for m in data or []:
                    if isinstance(m, dict) and m.get("max_model_len"):
                        entry["max_model_len"] = m["max_model_len"]
                        entry["root"] = m.get("root")
                detected = "vllm" if kind == "auto" else kind
            elif kind == "auto":
                api = s.get(s.root + "/openapi.json")
                title = str(((api or {}).get("info") or {}).get("title", "")) if isinstance(api, dict) else ""
                if "llama" in title.lower():
                    entry["software"] = "llama-cpp-python"
                    entry["version"] = str(((api or {}).get("info") or {}).get("version", ""))
                    detected = "llama.cpp"
                else:
                    detected = "openai"
            kinds.append(detected)
            infos.append(entry)
        if reachable == 0:
            raise ModelError(
                f"no server answers at {', '.join(s.url for s in self._servers)} (GET /models failed): "
                "start the server or fix --base-url"
            )
        if (
            kind == "auto"
            and len(set(k for k, e in zip(kinds, infos) if e["models"] or e.get("software"))) > 1
        ):
            raise ModelError(
                f"the servers are of different kinds ({', '.join(sorted(set(kinds)))}); "
                "give one kind of server per run, or set the server kind"
            )
        self.server_kind = (
            kind if kind != "auto" else next((k for k, e in zip(kinds, infos) if e["models"]), kinds[0])
        )
        if model is None:
            model = next((ids[0] for ids in ids_seen if ids), None)
            if model is None:
                raise ModelError(
                    "the server lists no model at /v1/models: give the served model name with --model"
                )
        for s, ids in zip(self._servers, ids_seen):
            if ids and model not in ids and self.server_kind == "vllm":
                raise ModelError(f"{s.url} does not serve model {model!r} (it serves: {', '.join(ids)})")
        self.model = str(model)
        self._vllm_version = None
        for e in infos:
            m = re.match(r"(\d+)\.(\d+)", str(e.get("version", ""))) if e.get("software") == "vllm" else None
            if m:
                v = (int(m.group(1)), int(m.group(2)))
                self._vllm_version = v if self._vllm_version is None else min(self._vllm_version, v)
        if not self._model_path and (self.model.lower().endswith(".gguf") or os.path.isabs(self.model)):
            self._model_path = self.model
        self._server_info = infos

    def _probe(self) -> None:
        """One one-token request per reachable server, before any prompt: the model name and the
        endpoint are checked (a 404 or 400 stops here, not mid-run) and the ``system_fingerprint``
        the server sends (a hosted model's version) goes into :attr:`info`."""
        for s, entry in zip(self._servers, self._server_info):
            if s.dead_since is not None:
                continue
            payload: dict[str, Any]
            if self.chat:
                path, payload = "/chat/completions", {"messages": [{"role": "user", "content": "Hello"}]}
            else:
                path, payload = "/completions", {"prompt": "Hello"}
            payload.update(model=self.model, max_tokens=1, temperature=0.0)
            try:
                body = s.post(path, payload)
            except _ServerDown as exc:
                s.dead_since, s.last_error = time.monotonic(), exc.why
                continue
            fp = body.get("system_fingerprint") if isinstance(body, dict) else None
            if fp:
                entry["system_fingerprint"] = str(fp)
            served = body.get("model") if isinstance(body, dict) else None
            if served and served != self.model:
                entry["model_answering"] = str(served)
        if all(s.dead_since is not None for s in self._servers):
            raise self._all_down()

    # ------------------------------------------------------------------ pool
    @property
    def stats(self) -> dict[str, Any]:
        """Per-server answered requests, retries, state, and fingerprints seen; the largest
        relative tail bound accepted (see ``tail_tolerance``)."""
        return {
            "requests": {s.url: s.requests for s in self._servers},
            "retries": {s.url: s.retries for s in self._servers},
            "down": {s.url: s.last_error for s in self._servers if s.dead_since is not None},
            "system_fingerprints": sorted({fp for s in self._servers for fp in s.fingerprints}),
            "max_tail_bound": self._max_tail,
            "top_logprobs_escalations": self._escalations,
        }

    def _run(self, tasks: Sequence[Callable[[_Server, threading.Event], Any]]) -> Iterator[tuple[int, Any]]:
        """Run ``tasks`` on the servers' slots from one shared queue; yield ``(index, result)`` as
        they finish. A server that goes down puts its task back and leaves the pool."""
        n = len(tasks)
        if n == 0:
            return
        now = time.monotonic()
        for s in self._servers:  # a server that went away a while ago gets another chance
            if s.dead_since is not None and now - s.dead_since > 60.0:
                s.dead_since = None
        alive = [s for s in self._servers if s.dead_since is None]
        if not alive:
            raise self._all_down()
        todo: queue.Queue[int] = queue.Queue()
        for i in range(n):
            todo.put(i)
        results: queue.Queue[tuple[bool, int, Any]] = queue.Queue()
        stop = threading.Event()

        def worker(server: _Server) -> None:
            while not stop.is_set() and server.dead_since is None:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    res = tasks[i](server, stop)
                except _ServerDown as exc:
                    todo.put(i)  # another server takes it
                    if server.dead_since is None:
                        server.dead_since = time.monotonic()
                        server.last_error = exc.why
                    return
                except BaseException as exc:
                    results.put((False, i, exc))
                    return
                results.put((True, i, res))

        threads: list[threading.Thread] = []

        def spawn() -> None:
            for s in self._servers:
                if s.dead_since is not None:
                    continue
                for _ in range(min(self.concurrency, max(1, todo.qsize()))):
                    t = threading.Thread(
                        target=worker, args=(s,), daemon=True, name=f"psychometry-openai {s.url}"
                    )
                    threads.append(t)
                    t.start()

        spawn()
        done = 0
        try:
            while done < n:
                try:
                    ok, i, payload = results.get(timeout=0.2)
                except queue.Empty:
                    if any(t.is_alive() for t in threads) or not results.empty():
                        continue
                    # no worker left, work left: a server went down after the others had run out of
                    # work; start the survivors again, or give up
                    threads = [t for t in threads if t.is_alive()]
                    if todo.empty():  # pragma: no cover - every task ends in results or back in todo
                        raise ModelError(f"{n - done} requests were lost")  # noqa: B904
                    if not any(s.dead_since is None for s in self._servers):
                        raise self._all_down() from None
                    spawn()
                    continue
                if not ok:
                    raise payload
                done += 1
                yield i, payload
        finally:
            stop.set()

    def _all_down(self) -> ModelError:
        why = "; ".join(f"{s.url}: {s.last_error or 'down'}" for s in self._servers)
        n = len(self._servers)
        return ModelError(f"{'the server is' if n == 1 else f'all {n} servers are'} unreachable ({why})")

    # ------------------------------------------------------------------ requests
    def _sampling(self, temperature: float, seed: int | None) -> dict[str, Any]:
        out: dict[str, Any] = {"temperature": float(temperature), "top_p": 1.0}
        if seed is not None:
            out["seed"] = int(seed) & 0x7FFFFFFF
        if self.server_kind == "llama.cpp":
            out.update(top_k=0, min_p=0.0, repeat_penalty=1.0, typical_p=1.0)
        elif self.server_kind == "vllm":
            out.update(top_k=-1, min_p=0.0, repetition_penalty=1.0)
        return out

    def _next_tokens(
        self, server: _Server, stop: threading.Event, prompt: str, k: int
    ) -> tuple[dict[str, float], int | None]:
        """The top-K next tokens after ``prompt`` (text -> log-probability) and the prompt's
        token count as the server reports it (``None`` when it does not)."""
        if self.chat:
            payload = {
                "model": self.model,
                "messages": self._messages(prompt),
                "max_tokens": 1,
                "logprobs": True,
                "top_logprobs": k,
                **self._sampling(0.0, self.seed),
            }
            body = server.post("/chat/completions", payload, stop)
        else:
            payload = {
                "model": self.model,
                "prompt": prompt,
                "max_tokens": 1,
                "logprobs": k,
                **self._sampling(0.0, self.seed),
            }
            body = server.post("/completions", payload, stop)
        choices = body.get("choices") if isinstance(body, dict) else None
        if not choices:
            raise ModelError(f"{server.url}: the completion has no choices")
        top = _top_from_choice(choices[0])
        if top is None:
            if choices[0].get("finish_reason") == "stop" and not (choices[0].get("text") or ""):
                # the model ended the text at once (end of sequence): llama-cpp-python then sends
                # no log-probabilities for the position
                raise ModelError(
                    f"{server.url} returned no next-token log-probabilities (the model ended the text "
                    "at once); use --mode generate for this model and prompt"
                )
            raise ModelError(
                f"{server.url} returned no log-probabilities for model {self.model!r}: the server does not "
                "support `logprobs`; use --mode generate"
            )
        usage = body.get("usage") or {}
        n_prompt = usage.get("prompt_tokens") if isinstance(usage, dict) else None
        with self._stat_lock:
            self.tokens_evaluated += int(n_prompt or 0)
        return top, (int(n_prompt) if isinstance(n_prompt, (int, float)) else None)

    def _messages(self, prompt: str) -> list[dict[str, str]]:
        return self._chats.get(prompt) or [{"role": "user", "content": prompt}]

    def _score(
        self, server: _Server, stop: threading.Event, prompt: str, labels: tuple[str, ...]
    ) -> OptionScores:
        """Score with K = ``top_logprobs``; on a llama.cpp server, where K is not capped, a label
        missing from the top K is looked for again with K eight and 64 times larger."""
        k = self.top_logprobs
        while True:
            try:
                return self._score_k(server, stop, prompt, labels, k)
            except _NeedMoreTokens:
                if self.server_kind != "llama.cpp" or k >= self.max_top_logprobs:
                    raise
                k = min(k * 8, self.max_top_logprobs)
                with self._stat_lock:
                    self._escalations += 1

    def _score_k(
        self, server: _Server, stop: threading.Event, prompt: str, labels: tuple[str, ...], k: int
    ) -> OptionScores:
        if not labels:
            raise ValueError("option_logprobs needs at least one label")
        spellings: list[list[str]] = []
        owner: dict[str, int] = {}
        for i, lab in enumerate(labels):
            vs = [v for v in dict.fromkeys(label_variants(lab)) if v]
            if not vs:
                raise ValueError(f"label {lab!r} has no text")
            for v in vs:
                if owner.setdefault(v, i) != i:
                    raise ValueError(f"labels {labels[owner[v]]!r} and {lab!r} are the same answer text")
            spellings.append(vs)

        cache: dict[str, tuple[dict[str, float], int | None]] = {}
        evaluated = [0]

        def dist(suffix: str) -> dict[str, float]:
            if suffix not in cache:
                if suffix and self.chat:
                    raise ModelError(
                        f"label spelling needs the distribution after {suffix!r}, which a chat endpoint cannot "
                        "give (the reply cannot be prefilled); use single-token labels (--labels digits), "
                        "chat=False, or --mode generate"
                    )
                top, n_tok = self._next_tokens(server, stop, prompt + suffix, k)
                evaluated[0] += int(n_tok or 0)
                if suffix:
                    base = cache[""][1]
                    depth = cache_depth[suffix]
                    if base is not None and n_tok is not None and n_tok != base + depth:
                        raise ModelError(
                            f"{server.url} tokenises the prompt followed by {suffix!r} as {n_tok - base:+d} tokens, "
                            f"not {depth:+d}: label spellings cannot be scored token by token there; use digit "
                            "labels or --mode generate"
                        )
                cache[suffix] = (top, n_tok)
            return cache[suffix][0]

        cache_depth: dict[str, int] = {"": 0}

        def floor(d: dict[str, float]) -> float:
            # the server returns its most likely tokens: every token it did not return is at most as
            # likely as the least likely one it did
            return min(d.values())

        # walk each spelling: (log-prob, found?, bound on its probability if missing)
        walked: dict[str, tuple[float, bool, float]] = {}
        for vs in spellings:
            for v in vs:
                lp, suffix, depth = 0.0, "", 0
                while True:
                    d = dist(suffix)
                    rest = v[len(suffix) :]
                    if rest in d:
                        walked[v] = (lp + d[rest], True, 0.0)
                        cache_depth.setdefault(v, depth + 1)  # tokens after the prompt, if extended
                        break
                    prefixes = [t for t in d if t and len(t) < len(rest) and rest.startswith(t)]
                    if not prefixes:
                        walked[v] = (-math.inf, False, math.exp(lp + floor(d)))
                        break
                    t = max(prefixes, key=len)
                    if self.chat:  # a chat reply cannot be prefilled: the rest cannot be read
                        walked[v] = (-math.inf, False, math.exp(lp + d[t]))
                        break
                    lp += d[t]
                    suffix += t
                    depth += 1
                    cache_depth.setdefault(suffix, depth)

        # labels that begin other labels: the answer must end there
        all_sp = [v for vs in spellings for v in vs]
        tail = 0.0
        end_lp: dict[str, float] = {}
        for v in all_sp:
            lp, found, _ = walked[v]
            if not found:
                continue
            longer = [w[len(v) :] for w in all_sp if w != v and w.startswith(v)]
            if not longer:
                continue
            d = dist(v)
            # the token that continues into each longer label: the one its own walk takes (the
            # longest returned token that begins the rest); one that was not returned is at most
            # the floor
            ext: set[str] = set()
            missing_ext = []
            for e in longer:
                cands = [t for t in d if t and e.startswith(t)]
                if cands:
                    ext.add(max(cands, key=len))
                else:
                    missing_ext.append(e)
            if missing_ext:
                tail += math.exp(lp + floor(d))
            p_ext = sum(math.exp(d[t]) for t in ext)
            end_lp[v] = lp + _log1m(p_ext)
        logprobs = []
        for lab, vs in zip(labels, spellings):
            readable = [end_lp.get(v, walked[v][0]) for v in vs if walked[v][1]]
            if not readable:
                raise _NeedMoreTokens(
                    f"label {lab!r} is not among the {k} most likely next tokens the server returned "
                    f"(nor any of its spellings {', '.join(repr(v) for v in vs)}); its probability cannot be "
                    f"read: use digit labels (--labels digits), a larger top_logprobs than {k} (vLLM: "
                    "--max-logprobs on the server), or --mode generate"
                )
            tail += sum(walked[v][2] for v in vs if not walked[v][1])
            logprobs.append(_logsumexp(readable))
        mass = float(sum(math.exp(lp) for lp in logprobs))
        rel = tail / mass if mass > 0 else math.inf
        if rel > self.tail_tolerance:
            missing = [v for v in all_sp if not walked[v][1]]
            raise _NeedMoreTokens(
                f"label spellings {', '.join(repr(v) for v in missing) or '(extensions)'} are not among the {k} "
                f"most likely tokens and may hold up to {rel:.2%} of the label mass (tolerance "
                f"{self.tail_tolerance:.2%}); use digit labels, a larger top_logprobs than {k}, or --mode generate"
            )
        with self._stat_lock:
            self._max_tail = max(self._max_tail, rel)
        return OptionScores(
            labels=labels, logprobs=tuple(logprobs), label_mass=mass, tokens_evaluated=evaluated[0]
        )

    def _generate(self, server: _Server, stop: threading.Event, req: GenerateRequest) -> Generation:
        if req.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if req.temperature < 0:
            raise ValueError("temperature must be >= 0")
        seed = self.seed if req.seed is None else req.seed
        extra: dict[str, Any] = {}
        if req.choices is not None:
            choices = [c for c in req.choices]
            if not choices:
                raise ValueError("choices must name at least one label")
            if self.server_kind == "llama.cpp":
                extra["grammar"] = labels_grammar(choices)
            elif self.server_kind == "vllm":
                bare = [c.strip(" ") for c in choices]
                ver = self._vllm_version
                if ver is None or ver < (0, 11):
                    extra["guided_choice"] = bare  # vLLM < 0.12 (removed in 0.12)
                if ver is None or ver >= (0, 11):
                    extra["structured_outputs"] = {"choice": bare}  # vLLM >= 0.11
            else:
                raise ModelError(
                    "this server (kind 'openai') offers no way to restrict a reply to the labels: drop --grammar, "
                    "or set the server kind (llama.cpp, vllm) if the server supports a grammar or guided choice"
                )
        if self.chat:
            payload = {
                "model": self.model,
                "messages": self._messages(req.prompt),
                "max_tokens": req.max_tokens,
                **self._sampling(req.temperature, seed),
                **extra,
            }
            body = server.post("/chat/completions", payload, stop)
        else:
            payload = {
                "model": self.model,
                "prompt": req.prompt,
                "max_tokens": req.max_tokens,
                **self._sampling(req.temperature, seed),
                **extra,
            }
            body = server.post("/completions", payload, stop)
        choices_out = body.get("choices") if isinstance(body, dict) else None
        if not choices_out:
            raise ModelError(f"{server.url}: the completion has no choices")
        c0 = choices_out[0]
        text = c0.get("text")
        if text is None and isinstance(c0.get("message"), dict):
            text = c0["message"].get("content")
        usage = body.get("usage") or {}
        n_prompt = int(usage.get("prompt_tokens") or 0) if isinstance(usage, dict) else 0
        n_gen = int(usage.get("completion_tokens") or 0) if isinstance(usage, dict) else 0
        with self._stat_lock:
            self.tokens_evaluated += n_prompt
        return Generation(text=str(text or ""), tokens_evaluated=n_prompt, tokens_generated=n_gen)

    # ------------------------------------------------------------------ protocol
    def score_many(self, requests: Sequence[ScoreRequest]) -> Iterator[tuple[int, OptionScores]]:
        """Score every request concurrently; yields ``(index, OptionScores)`` as they finish."""
        reqs = list(requests)
        with self._stat_lock:
            self.calls += len(reqs)
        tasks = [
            (lambda server, stop, r=r: self._score(server, stop, r.prompt, tuple(str(x) for x in r.labels)))
            for r in reqs
        ]
        yield from self._run(tasks)

    def generate_many(self, requests: Sequence[GenerateRequest]) -> Iterator[tuple[int, Generation]]:
        """Generate for every request concurrently; yields ``(index, Generation)`` as they finish."""
        reqs = list(requests)
        with self._stat_lock:
            self.calls += len(reqs)
        tasks = [(lambda server, stop, r=r: self._generate(server, stop, r)) for r in reqs]
        yield from self._run(tasks)

    def loglikelihood_many(
        self, requests: Sequence[LoglikelihoodRequest]
    ) -> Iterator[tuple[int, Loglikelihood]]:
        """Refused in one :class:`~psychometry.errors.ModelError` line (see the module docstring)."""
        why = {
            "llama.cpp": "llama-server returns log-probabilities of generated tokens only (llama.cpp "
            "#27174) and the llama-cpp-python server's echoed prompt log-probabilities are shifted by one "
            "token (llama-cpp-python #1983)",
            "vllm": "vLLM's prompt_logprobs are not implemented in psychometry (untested)",
        }.get(self.server_kind, "OpenAI-compatible completions give no prompt-token log-probabilities")
        raise ModelError(
            f"continuation log-likelihoods are not available from a {self.server_kind} server: {why}"
        )

    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        """log P(label | prompt) for each label (see the module docstring)."""
        labels = tuple(str(x) for x in labels)
        if not labels:
            raise ValueError("option_logprobs needs at least one label")
        for _, res in self.score_many([ScoreRequest(prompt, labels)]):
            return res
        raise ModelError("no result")  # pragma: no cover

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        choices: Sequence[str] | None = None,
    ) -> Generation:
        """Continue ``prompt`` on the server (see the module docstring)."""
        req = GenerateRequest(
            prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            choices=tuple(choices) if choices is not None else None,
        )
        for _, res in self.generate_many([req]):
            return res
        raise ModelError("no result")  # pragma: no cover

    def format_chat(self, system: str | None, user: str) -> str:
        """The raw prompt ``system + "\\n\\n" + user`` (or ``user``).

        With ``chat=True`` the server applies the model's chat template; the messages are kept
        (keyed by this text) and sent as system and user messages by :meth:`generate` and
        :meth:`option_logprobs`. The stored prompt is then the raw text, not the rendered template.
        """
        text = f"{system.strip()}\n\n{user}" if system else user
        if self.chat:
            msgs = [{"role": "system", "content": system}] if system else []
            msgs.append({"role": "user", "content": user})
            self._chats[text] = msgs
        return text

    def format_messages(self, messages: Sequence[Message]) -> str:
        """The raw prompt of a conversation (:func:`~psychometry.backends.base.transcript`; one turn:
        :meth:`format_chat`'s text). With ``chat=True`` the messages themselves are kept (keyed by
        this text) and sent to the chat endpoint, earlier turns included."""
        try:
            return self.format_chat(*one_turn(messages))
        except ValueError:  # several turns
            text = transcript(messages)
        if self.chat:
            self._chats[text] = [dict(m) for m in messages]
        return text

    def close(self) -> None:
        for s in getattr(self, "_servers", []):
            s.close()

    def __enter__(self) -> OpenAIBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.model!r}, {[s.url for s in self._servers]}, kind={self.server_kind!r})"
