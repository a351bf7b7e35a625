"""In-process llama.cpp backend, through llama-cpp-python's documented low-level API only.

The backend drives ``llama_cpp.llama_*`` functions (model and context loading, ``llama_batch``,
``llama_decode``, ``llama_get_logits_ith``, the memory / KV functions, samplers); it touches no
private attribute of ``llama_cpp.Llama``. The supported llama-cpp-python range is
:data:`psychometry.backends.native.LLAMA_CPP_PYTHON_RANGE`; outside it, loading fails with one
line naming the range.

Scoring the option labels
-------------------------
``option_logprobs(prompt, labels)`` gives log P(label | prompt) for every option label. A label is
scored as the continuation string that follows the prompt; its log-probability is the sum of its
token log-probabilities

.. math:: \\log P(\\ell \\mid x) = \\sum_{j=1}^{k} \\log p(t_j \\mid x, t_1, \\dots, t_{j-1})

where :math:`t_1..t_k` is the tokenisation of the label. Tokenisers differ on whether the space
before an answer belongs to the answer token (SentencePiece ``"▁3"``) or stands alone (Gemma:
``" "`` + ``"3"``), so both spellings are scored and combined as the probability of either (they
are disjoint continuations):

.. math:: \\log P(\\ell) = \\operatorname{logsumexp}(\\log P(\\texttt{"3"}), \\log P(\\texttt{" 3"}))

**Labels that begin other labels** ("Agree" / "Agree strongly", "1" / "10") are scored as complete
answers: the label, then a next token that does not continue it into the longer label,

.. math:: \\log P(\\texttt{Agree} \\dashv) = \\log P(\\texttt{Agree})
          + \\log\\bigl(1 - P(\\texttt{" strongly"} \\mid x, \\texttt{Agree})\\bigr)

so the labels are disjoint answers and ``label_mass`` :math:`= \\sum_\\ell P(\\ell \\mid x)` (Hu &
Levy 2023, EMNLP; Dominguez-Olmedo et al. 2024) is at most 1.

Continuation log-likelihoods
----------------------------
:meth:`LlamaCppBackend.loglikelihood_many` gives lm-evaluation-harness's ``loglikelihood``
(:class:`~psychometry.backends.base.Loglikelihood`): context + continuation are tokenised
together and split at the context's token length, and the continuation's log-likelihood is the sum
of :math:`\\log\\operatorname{softmax}(z_{i-1})[t_i]` over its tokens. The requests form one
token trie like the label scoring below (requests that share a context decode it once).

Batched decoding
----------------
:meth:`LlamaCppBackend.score_many` (and :meth:`generate_many`) evaluate many prompts in one
``llama_decode``. The prompts of a batch, and for each prompt the prefixes of its label spellings,
form a token trie; every trie node is decoded once, as one token at position = its depth, tagged
with the sequence ids of all the answers that pass through it (a unified KV cache, where one cell
may belong to several sequences). Shared prefixes (instructions, persona, template head) are thus
computed once per batch, and the log-probabilities are read from the logits of exactly the nodes
where a prompt or a label prefix ends. Nodes are laid out depth-first, so a node's ancestors are
always decoded before it, in the same or an earlier ``llama_decode`` call.

Reproducibility: llama.cpp's CPU kernels are not batch-invariant (the same token can get slightly
different activations depending on what else is in its ``llama_decode`` call; up to ~0.2 nats on
option log-probs with Gemma 3 270M). Every batch therefore starts from an empty KV cache, and its
split into decode calls and sequence groups is a function of the batch's requests alone. The scores
of a request depend on the batch it is in and on nothing that came before: the same batch gives
bit-identical numbers, in any order, after any resume. The engine makes batches fixed chunks of
the plan (``batch_size``), so that a resumed run recomputes whole chunks.

Example
-------
>>> from psychometry.backends import LlamaCppBackend
>>> be = LlamaCppBackend()                      # doctest: +SKIP
>>> s = be.option_logprobs("... Answer:", ["1", "2", "3", "4", "5"])  # doctest: +SKIP
>>> round(sum(math.exp(x) for x in s.logprobs) / s.label_mass, 6)     # doctest: +SKIP
1.0
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import ModelError
from .base import (
    CHAT_TEMPLATE_MODES,
    GenerateRequest,
    Generation,
    Loglikelihood,
    LoglikelihoodRequest,
    Message,
    ModelInfo,
    OptionScores,
    ScoreRequest,
    chat_messages,
    transcript,
)
from .default_model import check_gguf, default_model_path, file_sha256
from .native import check_llama_cpp_version, decide_repack

__all__ = ["CHAT_TEMPLATE_MODES", "DEFAULT_BATCH_SIZE", "LlamaCppBackend", "label_variants", "labels_grammar"]

#: ``auto``: the GGUF chat template when the model is instruction-tuned (see
#: :meth:`LlamaCppBackend.format_chat`); ``model``: always the GGUF template; ``none``: raw prompts.

#: Requests per engine batch when none is given (see ``docs/performance.md`` for the measurement).
DEFAULT_BATCH_SIZE = 256

#: Tokens per ``llama_decode`` call (``n_batch`` = ``n_ubatch``).
_N_BATCH = 512

# Words in a model's name that mark it as instruction-tuned / chat-tuned.
_INSTRUCT_RE = re.compile(
    r"(?i)(?:^|[^a-z0-9])(it|instruct|instruction|chat|sft|rlhf|dpo|assistant)(?:[^a-z0-9]|$)"
)


def label_variants(label: str) -> tuple[str, ...]:
    """The spellings under which ``label`` is scored: without and with one leading space.

    >>> label_variants("3")
    ('3', ' 3')
    >>> label_variants(" Agree")
    ('Agree', ' Agree')
    """
    bare = label.lstrip(" ")
    if not bare:
        return (label,)
    return (bare, " " + bare)


def _gbnf_literal(text: str) -> str:
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def labels_grammar(labels: Sequence[str], *, leading_space: bool = True) -> str:
    """A GBNF grammar whose only sentences are the given labels (optionally after one space).

    >>> print(labels_grammar(["1", "2", "3"]))
    root ::= " "? ("1" | "2" | "3")
    """
    if not labels:
        raise ValueError("labels_grammar needs at least one label")
    alts = " | ".join(_gbnf_literal(lab.strip(" ") if leading_space else lab) for lab in labels)
    prefix = '" "? ' if leading_space else ""
    return f"root ::= {prefix}({alts})"


def _logsumexp(values: Sequence[float]) -> float:
    m = max(values)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(v - m) for v in values))


def _log1m(p: float) -> float:
    """log(1 - p) for a probability p (``-inf`` when p rounds to 1 or more)."""
    return math.log1p(-p) if p < 1.0 else -math.inf


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


# ------------------------------------------------------------------------- llama.cpp logging
_log_lock = threading.Lock()
_log_state: dict[str, Any] = {"verbose": False, "tail": [], "callback": None}


def _install_log_callback(lc: Any, verbose: bool) -> None:
    """Route llama.cpp's log through one callback: printed when ``verbose``, else the last error
    lines are kept for error messages."""
    with _log_lock:
        _log_state["verbose"] = verbose
        if _log_state["callback"] is not None:
            return

        def _cb(level: int, text: bytes, _user: Any) -> None:
            msg = text.decode("utf-8", errors="replace") if text else ""
            if _log_state["verbose"]:
                os.write(2, msg.encode("utf-8", errors="replace"))
            elif level in (2, 3) and msg.strip():  # warn, error
                tail = _log_state["tail"]
                tail.append(msg.strip())
                del tail[:-5]

        callback = lc.llama_log_callback(_cb)
        _log_state["callback"] = callback  # keep a reference: llama.cpp holds the pointer
        lc.llama_log_set(callback, ctypes.c_void_p(0))


def _last_log_line() -> str:
    tail = _log_state["tail"]
    return tail[-1] if tail else ""


_backend_ready = False


# ------------------------------------------------------------------------- token tries
@dataclass
class _Node:
    """A trie node: one token at position ``depth``; ``seqs``: sequence ids passing through it."""

    token: int
    depth: int
    children: dict[int, _Node] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    want_logits: bool = False


class _Trie:
    def __init__(self) -> None:
        self.root = _Node(-1, -1)
        self.size = 0

    def insert(self, tokens: Sequence[int]) -> _Node:
        node = self.root
        for t in tokens:
            child = node.children.get(t)
            if child is None:
                child = _Node(int(t), node.depth + 1)
                node.children[t] = child
                self.size += 1
            node = child
        return node

    def find(self, tokens: Sequence[int]) -> _Node:
        node = self.root
        for t in tokens:
            node = node.children[t]
        return node

    def count_new(self, tokens: Sequence[int]) -> int:
        node = self.root
        for i, t in enumerate(tokens):
            child = node.children.get(t)
            if child is None:
                return len(tokens) - i
            node = child
        return 0

    def layout(self) -> list[_Node]:
        """Depth-first pre-order (parents before children, children by token id)."""
        out: list[_Node] = []
        stack = [self.root]
        while stack:
            node = stack.pop()
            if node is not self.root:
                out.append(node)
            stack.extend(node.children[t] for t in sorted(node.children, reverse=True))
        return out


@dataclass
class _ScorePlan:
    """What one request needs: its prompt, its label spellings' token sequences, and the
    next-token distributions to read (after the prompt and after each label prefix)."""

    prompt: list[int]
    conts: list[list[tuple[int, ...]]]
    needed: dict[tuple[int, ...], set[int]]

    def leaves(self) -> list[tuple[int, ...]]:
        """Prefixes (including ``()``, the prompt itself) that no other needed prefix extends:
        each is one sequence of the batch."""
        paths = set(self.needed)
        return sorted(p for p in paths if not any(len(q) > len(p) and q[: len(p)] == p for q in paths))


@dataclass(frozen=True)
class _LoglikelihoodPlan:
    """One continuation request: the joint tokens, where the continuation begins, its bytes."""

    tokens: tuple[int, ...]
    start: int
    n_bytes: int


def _new_nodes(trie: _Trie, plan: _ScorePlan) -> int:
    """Trie nodes that ``plan`` (its prompt and label prefixes) would add to ``trie``."""
    node, k = trie.root, 0
    for t in plan.prompt:
        child = node.children.get(t)
        if child is None:
            return len(plan.prompt) - k + len(plan.needed) - 1
        node, k = child, k + 1
    return sum(1 for p in plan.needed if p and trie.count_new(plan.prompt + list(p)))


def _insert_plan(trie: _Trie, plan: _ScorePlan, first_seq: int) -> int:
    """Insert the prompt and label prefixes of ``plan``; each leaf path gets its own sequence id,
    tagged on every node of the path. Returns the next free sequence id."""
    seq = first_seq
    for leaf in plan.leaves():
        path = plan.prompt + list(leaf)
        trie.insert(path)
        node = trie.root
        for t in path:
            node = node.children[t]
            node.seqs.append(seq)
        seq += 1
    return seq


class LlamaCppBackend:
    """A GGUF model run in-process by llama.cpp.

    Parameters
    ----------
    model_path
        A ``.gguf`` file; ``None`` uses the default model (Gemma 3 270M base, Q4_K_M).
        A missing, unreadable or non-GGUF file raises :class:`~psychometry.errors.ModelError`.
    n_ctx
        KV cache size in tokens: the longest prompt plus its answer must fit, and a batch's token
        trie is decoded in groups that fit it.
    n_threads
        CPU threads; ``None`` = every core this process may use.
    n_gpu_layers
        Layers offloaded to the GPU: 0 = CPU only, -1 = all. Needs a CUDA/Metal build of
        llama-cpp-python; otherwise a warning is issued and the model runs on the CPU.
    seed
        Default sampling seed for ``generate`` at temperature > 0.
    chat_template
        ``"auto"``, ``"model"`` or ``"none"``: see :meth:`format_chat`.
    verbose
        Let llama.cpp print its loading and timing chatter to stderr.
    cpu_repack
        ``"auto"``, ``"on"`` or ``"off"``: whether llama.cpp may repack weights into its extra CPU
        buffer types; ``None`` = the environment variable ``PSYCHOMETRY_CPU_REPACK``, else auto
        (off where AMX is present: see :mod:`psychometry.backends.native`).
    batch_size
        Requests per engine batch (:attr:`batch_size`); ``None`` = :data:`DEFAULT_BATCH_SIZE`.
    n_seq_max
        Sequences decoded together (at most 256, llama.cpp's limit).
    """

    #: the scores of a request depend on which requests share its batch (see the module docstring)
    batch_dependent = True

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        seed: int = 0,
        chat_template: str = "auto",
        verbose: bool = False,
        cpu_repack: str | None = None,
        batch_size: int | None = None,
        n_seq_max: int = 256,
    ) -> None:
        if chat_template not in CHAT_TEMPLATE_MODES:
            raise ModelError(
                f"chat_template must be one of {', '.join(CHAT_TEMPLATE_MODES)}, not {chat_template!r}"
            )
        if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
            raise ModelError(f"batch_size must be a positive integer, not {batch_size!r}")
        if not 1 <= int(n_seq_max) <= 256:
            raise ModelError(f"n_seq_max must be between 1 and 256, not {n_seq_max!r}")
        if int(n_ctx) < 16:
            raise ModelError(f"n_ctx must be at least 16 tokens, not {n_ctx!r}")
        path = default_model_path() if model_path is None else Path(model_path)
        path = check_gguf(path)
        version = check_llama_cpp_version()
        repack = decide_repack(cpu_repack)

        import llama_cpp as lc

        self._lc = lc
        self._model = None
        self._context = None
        self._tokbatch = None
        _install_log_callback(lc, verbose)
        global _backend_ready
        if not _backend_ready:
            lc.llama_backend_init()
            _backend_ready = True

        threads = int(n_threads) if n_threads else _available_cores()
        gpu_supported = bool(lc.llama_supports_gpu_offload())
        if n_gpu_layers and not gpu_supported:
            warnings.warn(
                "n_gpu_layers is set but this llama-cpp-python build has no GPU support; running on "
                'the CPU (reinstall with CMAKE_ARGS="-DGGML_CUDA=on" pip install llama-cpp-python)',
                RuntimeWarning,
                stacklevel=2,
            )

        mparams = lc.llama_model_default_params()
        mparams.n_gpu_layers = int(n_gpu_layers) if n_gpu_layers >= 0 else 0x7FFFFFFF
        mparams.use_extra_bufts = repack.use_extra_bufts
        #: the model parameters this backend loaded with (``use_extra_bufts``: the AMX guard)
        self.model_params = mparams
        model = lc.llama_model_load_from_file(str(path).encode("utf-8"), mparams)
        if not model:
            raise ModelError(
                f"llama.cpp could not load {path}: {_last_log_line() or 'unsupported or corrupt model'}"
            )
        self._model = model

        cparams = lc.llama_context_default_params()
        cparams.n_ctx = int(n_ctx)
        cparams.n_batch = min(_N_BATCH, int(n_ctx))
        cparams.n_ubatch = cparams.n_batch
        # llama.cpp reserves outputs for max(n_seq_max, n_batch) rows and aborts on a context
        # with more sequences than batch rows (GGML_ASSERT n_outputs_max): never ask for that
        n_seq_max = min(int(n_seq_max), cparams.n_batch)
        cparams.n_seq_max = n_seq_max
        cparams.n_threads = threads
        cparams.n_threads_batch = threads
        # one KV cache shared by all sequences (a cell may belong to several: shared prefixes),
        # full-size for sliding-window models (Gemma 2/3) so that every position stays readable
        cparams.kv_unified = True
        cparams.swa_full = True
        ctx = lc.llama_init_from_model(model, cparams)
        if not ctx:
            self.close()
            raise ModelError(
                f"llama.cpp could not create a context for {path} (n_ctx={n_ctx}): "
                f"{_last_log_line() or 'out of memory?'}"
            )
        self._context = ctx
        self._mem = lc.llama_get_memory(ctx)
        self.n_ctx = int(lc.llama_n_ctx(ctx))
        self._n_batch = int(lc.llama_n_batch(ctx))
        self._n_seq_max = int(lc.llama_n_seq_max(ctx))
        self._tokbatch = lc.llama_batch_init(self._n_batch, 0, self._n_seq_max)
        self._vocab = lc.llama_model_get_vocab(model)
        self._n_vocab = int(lc.llama_vocab_n_tokens(self._vocab))

        self.path = path
        self.seed = int(seed)
        self.verbose = verbose
        self.batch_size = int(batch_size) if batch_size is not None else DEFAULT_BATCH_SIZE
        self.metadata: dict[str, str] = self._read_metadata()
        tmpl = lc.llama_model_chat_template(model, None)
        self._template: str | None = tmpl.decode("utf-8", errors="replace") if tmpl else None
        self._use_template = self._decide_template(chat_template)
        self._bos = int(lc.llama_vocab_bos(self._vocab))
        self._eos = int(lc.llama_vocab_eos(self._vocab))
        self._bos_text = self._token_text(self._bos)
        self._eos_text = self._token_text(self._eos)
        #: running totals: tokens decoded by llama.cpp, ``llama_decode`` calls, groups of requests
        #: decoded together (from an empty KV cache), requests answered
        self.tokens_evaluated = 0
        self.decode_calls = 0
        self.groups = 0
        self.calls = 0

        self.info = ModelInfo(
            name=path.stem,
            path=str(path.resolve()),
            size=path.stat().st_size,
            sha256=file_sha256(path),
            settings={
                "backend": "llama.cpp",
                "llama_cpp_python": version,
                "n_ctx": self.n_ctx,
                "n_threads": threads,
                "n_gpu_layers": n_gpu_layers,
                "gpu_offload_supported": gpu_supported,
                "cpu_repack": repack.to_dict(),
                "seed": self.seed,
                "chat_template": "model" if self._use_template else "none",
                "chat_template_requested": chat_template,
                "batch_size": self.batch_size,
                "n_seq_max": self._n_seq_max,
                "n_batch": self._n_batch,
                "kv_cache": "unified, emptied before every batch",
                "label_variants": "bare+leading-space, logsumexp",
                "label_end": "a label that begins a longer label is not followed by its next token",
            },
        )

    # ------------------------------------------------------------------ helpers
    def _read_metadata(self) -> dict[str, str]:
        lc, model = self._lc, self._model
        out: dict[str, str] = {}
        buf = ctypes.create_string_buffer(1 << 16)
        for i in range(int(lc.llama_model_meta_count(model))):
            n = lc.llama_model_meta_key_by_index(model, i, buf, len(buf))
            if n < 0:
                continue
            key = buf.value.decode("utf-8", errors="replace")
            n = lc.llama_model_meta_val_str_by_index(model, i, buf, len(buf))
            if n < 0:
                continue
            out[key] = buf.value.decode("utf-8", errors="replace")
        return out

    def _token_text(self, token: int) -> str:
        if token is None or token < 0:
            return ""
        raw = self._lc.llama_vocab_get_text(self._vocab, token)
        return raw.decode("utf-8", errors="replace") if raw else ""

    def _decide_template(self, mode: str) -> bool:
        if mode == "none":
            return False
        if mode == "model":
            if self._template is None:
                raise ModelError(
                    f"chat_template='model' but {self.path.name} has no tokenizer.chat_template "
                    "in its GGUF metadata (use 'none' for a raw completion prompt)"
                )
            return True
        return self._template is not None and self.is_instruction_tuned

    @property
    def is_instruction_tuned(self) -> bool:
        """True when the GGUF metadata (``general.finetune``, ``general.name``,
        ``general.basename``) or the file name says ``it`` / ``instruct`` / ``chat`` / ``sft`` /
        ``rlhf`` / ``dpo`` / ``assistant``."""
        fields = [self.metadata.get(k, "") for k in ("general.finetune", "general.name", "general.basename")]
        fields.append(self.path.stem)
        return any(_INSTRUCT_RE.search(f or "") for f in fields)

    @property
    def uses_chat_template(self) -> bool:
        return self._use_template

    def _tokenize(self, text: str, *, add_bos: bool, special: bool) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        buf = (self._lc.llama_token * cap)()
        n = self._lc.llama_tokenize(self._vocab, raw, len(raw), buf, cap, add_bos, special)
        if n < 0:
            cap = -n
            buf = (self._lc.llama_token * cap)()
            n = self._lc.llama_tokenize(self._vocab, raw, len(raw), buf, cap, add_bos, special)
        return list(buf[: max(n, 0)])

    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Tokens of ``text`` as this backend feeds them to the model (BOS added once; special
        tokens such as ``<start_of_turn>`` parsed only when the chat template is in use)."""
        special = self._use_template
        if add_bos and self._bos_text and special and text.startswith(self._bos_text):
            add_bos = False  # the chat template already wrote <bos>
        toks = self._tokenize(text, add_bos=False, special=special)
        if add_bos and self._bos >= 0 and self._lc.llama_vocab_get_add_bos(self._vocab):
            toks = [self._bos] + toks
        return toks

    def _label_tokens(self, text: str) -> tuple[int, ...]:
        return tuple(self._tokenize(text, add_bos=False, special=False))

    def detokenize(self, tokens: Sequence[int]) -> str:
        """The text of ``tokens`` (special tokens left out)."""
        if not tokens:
            return ""
        arr = (self._lc.llama_token * len(tokens))(*tokens)
        cap = 16 * len(tokens) + 16
        buf = ctypes.create_string_buffer(cap)
        n = self._lc.llama_detokenize(self._vocab, arr, len(tokens), buf, cap, False, False)
        if n < 0:
            cap = -n + 1
            buf = ctypes.create_string_buffer(cap)
            n = self._lc.llama_detokenize(self._vocab, arr, len(tokens), buf, cap, False, False)
        return buf.raw[: max(n, 0)].decode("utf-8", errors="replace")

    def close(self) -> None:
        """Free the llama.cpp batch, context and model (idempotent)."""
        lc = getattr(self, "_lc", None)
        if lc is None:
            return
        if getattr(self, "_tokbatch", None) is not None:
            lc.llama_batch_free(self._tokbatch)
            self._tokbatch = None
        if getattr(self, "_context", None):
            lc.llama_free(self._context)
            self._context = None
        if getattr(self, "_model", None):
            lc.llama_model_free(self._model)
            self._model = None

    def __del__(self) -> None:  # pragma: no cover - best effort at interpreter exit
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> LlamaCppBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ decoding
    def _check_open(self) -> None:
        if not self._context:
            raise ModelError("the llama.cpp backend is closed")

    def _clear(self) -> None:
        self._lc.llama_memory_clear(self._mem, True)

    def _decode_nodes(self, nodes: Sequence[_Node], on_logits: Callable[[_Node, int], None]) -> None:
        """Decode ``nodes`` (depth-first order) in calls of at most ``n_batch`` tokens; after each
        call, ``on_logits(node, row)`` for every node that wants logits (``row``: the batch index
        to read with ``llama_get_logits_ith``)."""
        lc, batch = self._lc, self._tokbatch
        if batch is None:  # freed by close()
            raise ModelError("the llama.cpp backend is closed")
        step = self._n_batch
        for start in range(0, len(nodes), step):
            part = nodes[start : start + step]
            wanted: list[tuple[_Node, int]] = []
            for i, node in enumerate(part):
                batch.token[i] = node.token
                batch.pos[i] = node.depth
                batch.n_seq_id[i] = len(node.seqs)
                ids = batch.seq_id[i]
                for k, s in enumerate(node.seqs):
                    ids[k] = s
                batch.logits[i] = 1 if node.want_logits else 0
                if node.want_logits:
                    wanted.append((node, i))
            batch.n_tokens = len(part)
            rc = lc.llama_decode(self._context, batch)
            self.decode_calls += 1
            if rc != 0:
                self._clear()
                detail = _last_log_line()
                raise ModelError(
                    f"llama.cpp failed to evaluate the prompts (llama_decode returned {rc}"
                    f"{': ' + detail if detail else ''}); try a smaller --batch-size or a larger --n-ctx"
                )
            self.tokens_evaluated += len(part)
            for node, i in wanted:
                on_logits(node, i)

    def _logits_row(self, i: int) -> np.ndarray:
        ptr = self._lc.llama_get_logits_ith(self._context, i)
        if not ptr:
            raise ModelError(f"llama.cpp returned no logits for batch row {i}")
        return np.ctypeslib.as_array(ptr, shape=(self._n_vocab,))

    def _check_fits(self, n: int) -> None:
        if n > self.n_ctx:
            raise ModelError(f"prompt of {n} tokens does not fit the context window (n_ctx={self.n_ctx})")

    # ------------------------------------------------------------------- scoring
    def _score_plan(self, req: ScoreRequest) -> _ScorePlan:
        labels = tuple(str(lab) for lab in req.labels)
        if not labels:
            raise ValueError("option_logprobs needs at least one label")
        prompt = self.tokenize(req.prompt)
        if not prompt:
            raise ModelError("cannot evaluate an empty prompt")
        conts = self._label_sequences(labels)
        needed: dict[tuple[int, ...], set[int]] = {}
        for seqs in conts:
            for seq in seqs:
                for j in range(len(seq)):
                    needed.setdefault(seq[:j], set()).add(seq[j])
        longest = max(len(p) for p in needed) if needed else 0
        self._check_fits(len(prompt) + longest + 1)
        return _ScorePlan(prompt, conts, needed)

    def score_many(self, requests: Sequence[ScoreRequest]) -> Iterator[tuple[int, OptionScores]]:
        """Score many requests, decoding them together (see the module docstring); yields
        ``(index, OptionScores)`` in request order. The numbers of a request depend on the list
        ``requests`` alone (the KV cache is emptied first)."""
        self._check_open()
        plans = [self._score_plan(r) for r in requests]
        for group in self._groups(plans):
            yield from self._score_group(group, plans, requests)

    def _groups(self, plans: Sequence[_ScorePlan]) -> Iterator[list[int]]:
        """Consecutive requests whose trie fits the KV cache and ``n_seq_max`` sequences."""
        trie = _Trie()
        group: list[int] = []
        seqs = 0
        for i, plan in enumerate(plans):
            n_leaves = len(plan.leaves())
            if n_leaves > self._n_seq_max:
                raise ModelError(
                    f"the labels of one prompt need {n_leaves} sequences, more than n_seq_max={self._n_seq_max}"
                )
            if group and (
                trie.size + _new_nodes(trie, plan) > self.n_ctx or seqs + n_leaves > self._n_seq_max
            ):
                yield group
                trie, group, seqs = _Trie(), [], 0
            _insert_plan(trie, plan, seqs)
            group.append(i)
            seqs += n_leaves
        if group:
            yield group

    def _score_group(
        self, group: list[int], plans: Sequence[_ScorePlan], requests: Sequence[ScoreRequest]
    ) -> Iterator[tuple[int, OptionScores]]:
        trie = _Trie()
        reads: list[tuple[int, tuple[int, ...], _Node]] = []  # (request, needed prefix, node)
        seq = 0
        for i in group:
            plan = plans[i]
            seq = _insert_plan(trie, plan, seq)
            for prefix in plan.needed:
                node = trie.find(plan.prompt + list(prefix))
                node.want_logits = True
                reads.append((i, prefix, node))
        nodes = trie.layout()
        wanted_by_node: dict[int, list[tuple[int, tuple[int, ...]]]] = {}
        for i, prefix, node in reads:
            wanted_by_node.setdefault(id(node), []).append((i, prefix))
        dists: dict[tuple[int, tuple[int, ...]], dict[int, float]] = {}

        def on_logits(node: _Node, row: int) -> None:
            z = self._logits_row(row)
            lse: float | None = None
            for i, prefix in wanted_by_node.get(id(node), ()):
                toks = plans[i].needed[prefix]
                if lse is None:  # exp in float32 (llama.cpp's precision), summed in float64
                    m = float(z.max())
                    lse = m + math.log(float(np.exp(z - m).sum(dtype=np.float64)))
                dists[(i, prefix)] = {t: float(z[t]) - lse for t in toks}

        self._clear()
        self.groups += 1
        before = self.tokens_evaluated
        self._decode_nodes(nodes, on_logits)
        self._clear()
        spent = self.tokens_evaluated - before
        for k, i in enumerate(group):
            plan = plans[i]
            logprobs: list[float] = []
            for seqs in plan.conts:
                per_variant = []
                for s in seqs:
                    lp = sum(dists[(i, s[:j])][s[j]] for j in range(len(s)))
                    if s in plan.needed:  # begins a longer label: the answer must end here
                        lp += _log1m(sum(math.exp(v) for v in dists[(i, s)].values()))
                    per_variant.append(lp)
                logprobs.append(_logsumexp(per_variant))
            self.calls += 1
            yield (
                i,
                OptionScores(
                    labels=tuple(str(lab) for lab in requests[i].labels),
                    logprobs=tuple(logprobs),
                    label_mass=float(sum(math.exp(lp) for lp in logprobs)),
                    # the batch's decoded tokens, attributed to its first request
                    tokens_evaluated=spent if k == 0 else 0,
                ),
            )

    # ------------------------------------------------------- continuation log-likelihoods
    def _loglikelihood_plan(self, req: LoglikelihoodRequest) -> _LoglikelihoodPlan:
        """lm-eval 0.4's ``TemplateLM._encode_pair`` (and its empty-context rule) on this tokeniser."""
        context, continuation = str(req.context), str(req.continuation)
        n_bytes = len(continuation.encode("utf-8"))
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces:  # lm-eval moves the context's trailing whitespace onto the continuation
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        head = self.tokenize(context) if context else []
        if context and head:
            whole = self.tokenize(context + continuation)
            tokens, start = whole, len(head)
        else:  # lm-eval: an empty context is the prefix token (BOS, else EOS)
            cont = self.tokenize(continuation, add_bos=False)
            prefix = self._bos if self._bos >= 0 else self._eos
            if cont and cont[0] == prefix:
                tokens, start = cont, 1
            else:
                tokens, start = [prefix, *cont], 1
        if len(tokens) <= start:
            raise ValueError(f"continuation {req.continuation!r} has no tokens after its context")
        self._check_fits(len(tokens) - 1)
        return _LoglikelihoodPlan(tuple(int(t) for t in tokens), start, n_bytes)

    def loglikelihood_many(
        self, requests: Sequence[LoglikelihoodRequest]
    ) -> Iterator[tuple[int, Loglikelihood]]:
        """Continuation log-likelihoods of many requests, decoded together: yields
        ``(index, Loglikelihood)`` in request order (see
        :class:`~psychometry.backends.base.Loglikelihood` for the definition).

        Each request's joint tokens but the last (whose logits nobody reads) are one path of the
        batch's token trie, so contexts shared by several continuations (a question and its
        choices) are decoded once. As for
        :meth:`score_many`, the numbers of a request depend on the list ``requests`` alone.
        Raises ``ValueError`` for a continuation without tokens and
        :class:`~psychometry.errors.ModelError` for a request longer than ``n_ctx``.
        """
        self._check_open()
        plans = [self._loglikelihood_plan(r) for r in requests]
        for group in self._loglikelihood_groups(plans):
            yield from self._loglikelihood_group(group, plans)

    def _loglikelihood_groups(self, plans: Sequence[_LoglikelihoodPlan]) -> Iterator[list[int]]:
        """Consecutive requests whose trie fits the KV cache and ``n_seq_max`` distinct paths."""
        trie = _Trie()
        paths: set[tuple[int, ...]] = set()
        group: list[int] = []
        for i, plan in enumerate(plans):
            path = plan.tokens[:-1]  # the last token is read, never decoded
            new_path = path not in paths
            if group and (
                trie.size + trie.count_new(path) > self.n_ctx or len(paths) + new_path > self._n_seq_max
            ):
                yield group
                trie, paths, group = _Trie(), set(), []
            trie.insert(path)
            paths.add(path)
            group.append(i)
        if group:
            yield group

    def _loglikelihood_group(
        self, group: list[int], plans: Sequence[_LoglikelihoodPlan]
    ) -> Iterator[tuple[int, Loglikelihood]]:
        trie = _Trie()
        seq_of: dict[tuple[int, ...], int] = {}
        # node -> (request, position j): read log softmax(z)[tokens[j]] from the node at j - 1
        wanted: dict[int, list[tuple[int, int]]] = {}
        for i in group:
            plan = plans[i]
            path = plan.tokens[:-1]  # the decoded tokens: all but the last
            if path not in seq_of:
                seq = seq_of[path] = len(seq_of)
                trie.insert(path)
                node = trie.root
                for t in path:
                    node = node.children[t]
                    node.seqs.append(seq)
            node = trie.root
            for j, t in enumerate(plan.tokens[:-1]):
                node = node.children[t]
                if j + 1 >= plan.start:
                    node.want_logits = True
                    wanted.setdefault(id(node), []).append((i, j + 1))
        token_lp: dict[tuple[int, int], float] = {}
        token_top: dict[tuple[int, int], bool] = {}

        def on_logits(node: _Node, row: int) -> None:
            z = self._logits_row(row)
            m = float(z.max())  # exp in float32 (llama.cpp's precision), summed in float64
            lse = m + math.log(float(np.exp(z - m).sum(dtype=np.float64)))
            top = int(np.argmax(z))
            for i, j in wanted.get(id(node), ()):
                t = plans[i].tokens[j]
                token_lp[(i, j)] = float(z[t]) - lse
                token_top[(i, j)] = t == top

        self._clear()
        self.groups += 1
        before = self.tokens_evaluated
        self._decode_nodes(trie.layout(), on_logits)
        self._clear()
        spent = self.tokens_evaluated - before
        for k, i in enumerate(group):
            plan = plans[i]
            positions = range(plan.start, len(plan.tokens))
            self.calls += 1
            yield (
                i,
                Loglikelihood(
                    logprob=float(sum(token_lp[(i, j)] for j in positions)),
                    n_tokens=len(positions),
                    n_bytes=plan.n_bytes,
                    greedy=all(token_top[(i, j)] for j in positions),
                    # the batch's decoded tokens, attributed to its first request
                    tokens_evaluated=spent if k == 0 else 0,
                ),
            )

    def loglikelihood(self, context: str, continuation: str) -> Loglikelihood:
        """The log-likelihood of ``continuation`` after ``context``: a batch of one (see
        :meth:`loglikelihood_many`)."""
        ((_, result),) = list(self.loglikelihood_many([LoglikelihoodRequest(context, continuation)]))
        return result

    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        """log P(label | prompt) for each label (see the module docstring): a batch of one.

        Raises ``ValueError`` for no labels, a label without tokens, or two labels with the same
        tokens; :class:`~psychometry.errors.ModelError` when the prompt does not fit ``n_ctx``.
        """
        ((_, scores),) = list(self.score_many([ScoreRequest(prompt, tuple(str(x) for x in labels))]))
        return scores

    def _label_sequences(self, labels: Sequence[str]) -> list[list[tuple[int, ...]]]:
        """The distinct token sequences of each label's spellings (:func:`label_variants`).

        Raises ``ValueError`` for a label without tokens and for two labels that share a token
        sequence (the same answer text: they could not be told apart).
        """
        conts: list[list[tuple[int, ...]]] = []
        owner: dict[tuple[int, ...], int] = {}
        for i, lab in enumerate(labels):
            seqs: list[tuple[int, ...]] = []
            for variant in label_variants(lab):
                toks = self._label_tokens(variant)
                if toks and toks not in seqs:
                    seqs.append(toks)
            if not seqs:
                raise ValueError(f"label {lab!r} has no tokens")
            for seq in seqs:
                if owner.setdefault(seq, i) != i:
                    raise ValueError(f"labels {labels[owner[seq]]!r} and {lab!r} are the same answer text")
            conts.append(seqs)
        return conts

    # ---------------------------------------------------------------- generation
    def _sampler(self, req: GenerateRequest, grammar: str | None) -> Any:
        lc = self._lc
        chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
        if grammar is not None:
            g = lc.llama_sampler_init_grammar(self._vocab, grammar.encode("utf-8"), b"root")
            if not g:
                lc.llama_sampler_free(chain)
                raise ModelError(f"invalid GBNF grammar: {grammar.splitlines()[0] if grammar else ''!r}")
            lc.llama_sampler_chain_add(chain, g)
        if req.temperature == 0:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
        else:
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_temp(float(req.temperature)))
            seed = self.seed if req.seed is None else req.seed
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_dist(int(seed) & 0xFFFFFFFF))
        return chain

    def generate_many(
        self, requests: Sequence[GenerateRequest], *, grammar: str | None = None
    ) -> Iterator[tuple[int, Generation]]:
        """Continue many prompts together: the prompts' token trie is decoded once, then every
        unfinished sequence advances by one token per ``llama_decode``. Greedy at temperature 0,
        else ancestral sampling from softmax(logits / temperature) seeded per request. ``choices``
        restricts a reply to one label (:func:`labels_grammar`); ``grammar`` applies one GBNF
        grammar to every request. Yields ``(index, Generation)`` in request order."""
        self._check_open()
        for req in requests:
            if req.max_tokens < 1:
                raise ValueError("max_tokens must be at least 1")
            if req.temperature < 0:
                raise ValueError("temperature must be >= 0")
            if req.choices is not None and grammar is not None:
                raise ValueError("give choices or grammar, not both")
        prompts = [self.tokenize(r.prompt) for r in requests]
        for p, r in zip(prompts, requests):
            if not p:
                raise ModelError("cannot evaluate an empty prompt")
            self._check_fits(len(p) + r.max_tokens)
        group: list[int] = []
        trie = _Trie()
        used = 0
        for i, p in enumerate(prompts):
            need = trie.count_new(p) + requests[i].max_tokens
            if group and (used + need > self.n_ctx or len(group) >= self._n_seq_max):
                yield from self._generate_group(group, prompts, requests, grammar)
                group, trie, used = [], _Trie(), 0
            trie.insert(p)
            used += need
            group.append(i)
        if group:
            yield from self._generate_group(group, prompts, requests, grammar)

    def _generate_group(
        self,
        group: list[int],
        prompts: list[list[int]],
        requests: Sequence[GenerateRequest],
        grammar: str | None,
    ) -> Iterator[tuple[int, Generation]]:
        lc = self._lc
        trie = _Trie()
        ends: dict[int, _Node] = {}
        for s, i in enumerate(group):
            trie.insert(prompts[i])
            node = trie.root
            for t in prompts[i]:
                node = node.children[t]
                node.seqs.append(s)
            node.want_logits = True
            ends[s] = node
        samplers: list[Any] = []
        try:
            for i in group:
                r = requests[i]
                g = labels_grammar(list(r.choices)) if r.choices is not None else grammar
                samplers.append(self._sampler(r, g))
            out: list[list[int]] = [[] for _ in group]
            done = [False] * len(group)
            by_node: dict[int, list[int]] = {}
            for s, node in ends.items():
                by_node.setdefault(id(node), []).append(s)

            def take(s: int, row: int) -> None:
                tok = int(lc.llama_sampler_sample(samplers[s], self._context, row))
                if lc.llama_vocab_is_eog(self._vocab, tok):
                    done[s] = True
                    return
                out[s].append(tok)
                if len(out[s]) >= requests[group[s]].max_tokens:
                    done[s] = True

            self._clear()
            self.groups += 1
            before = self.tokens_evaluated

            def take_all(node: _Node, row: int) -> None:
                for s in by_node[id(node)]:
                    take(s, row)

            self._decode_nodes(trie.layout(), take_all)
            while not all(done):
                active = [s for s in range(len(group)) if not done[s]]
                step_nodes = []
                for s in active:
                    node = _Node(
                        out[s][-1], len(prompts[group[s]]) + len(out[s]) - 1, seqs=[s], want_logits=True
                    )
                    step_nodes.append(node)
                rows: dict[int, int] = {}
                self._decode_nodes(step_nodes, lambda node, row: rows.__setitem__(node.seqs[0], row))  # noqa: B023
                for s in active:
                    take(s, rows[s])
            self._clear()
            spent = self.tokens_evaluated - before
        finally:
            for smp in samplers:
                lc.llama_sampler_free(smp)
        for s, i in enumerate(group):
            self.calls += 1
            yield (
                i,
                Generation(
                    text=self.detokenize(out[s]),
                    tokens_evaluated=spent if s == 0 else 0,
                    tokens_generated=len(out[s]),
                ),
            )

    def generate(
        self,
        prompt: str,
        *,
        max_tokens: int = 32,
        temperature: float = 0.0,
        seed: int | None = None,
        choices: Sequence[str] | None = None,
        grammar: str | None = None,
    ) -> Generation:
        """Continue ``prompt`` (a batch of one; see :meth:`generate_many`). ``choices`` restricts
        the reply to exactly one of the labels; ``grammar`` (llama.cpp only) takes any GBNF
        grammar instead; an invalid one raises :class:`~psychometry.errors.ModelError`. Giving
        both is a ``ValueError``."""
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if temperature < 0:
            raise ValueError("temperature must be >= 0")
        if choices is not None and grammar is not None:
            raise ValueError("give choices or grammar, not both")
        req = GenerateRequest(
            prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            choices=tuple(choices) if choices is not None else None,
        )
        ((_, gen),) = list(self.generate_many([req], grammar=grammar))
        return gen

    def format_chat(self, system: str | None, user: str) -> str:
        """The prompt for one user message (and an optional system prompt):
        :meth:`format_messages` of that conversation.

        ``auto`` decides from the model name because base checkpoints such as Gemma 3 270M are
        often converted with their instruction-tuned sibling's template: a base model asked
        through a chat template it was never trained on answers worse than a plain prompt.
        """
        return self.format_messages(chat_messages(system, user))

    def format_messages(self, messages: Sequence[Message]) -> str:
        """The prompt for a conversation (``[{"role": ..., "content": ...}, ...]``).

        With the chat template in use (``chat_template="model"``, or ``"auto"`` on an
        instruction-tuned model that carries ``tokenizer.chat_template`` in its GGUF metadata)
        the template is rendered with a generation prompt, so the text ends where the
        assistant's reply begins. Templates that reject a system role get the system prompt
        prepended to the first user message. Otherwise (base models, ``"none"``) the result is the
        raw completion prompt of :func:`~psychometry.backends.base.transcript`: ``system + "\\n\\n"
        + user`` (or just ``user``) for one turn; an earlier reply follows its cue after a space.
        """
        if not self._use_template:
            return transcript(messages)
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        from llama_cpp.llama_types import ChatCompletionRequestMessage

        fmt = Jinja2ChatFormatter(
            template=self._template or "",
            eos_token=self._eos_text,
            bos_token=self._bos_text,
            add_generation_prompt=True,
        )
        msgs = cast("list[ChatCompletionRequestMessage]", [dict(m) for m in messages])
        try:
            return fmt(messages=msgs).prompt
        except Exception:
            if not msgs or msgs[0]["role"] != "system" or not msgs[0]["content"] or len(msgs) < 2:
                raise
            system = str(msgs[0]["content"])
            first, *rest = msgs[1:]
            merged = cast(
                "list[ChatCompletionRequestMessage]",
                [{**first, "content": f"{system.strip()}\n\n{first['content']}"}, *rest],
            )
            return fmt(messages=merged).prompt

    def __repr__(self) -> str:
        return f"LlamaCppBackend({self.info.name!r}, n_ctx={self.n_ctx})"
