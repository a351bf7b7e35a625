"""The administration engine: plan -> backend -> store.

:func:`administer` builds the plan (:mod:`psychometry.plan`), asks the backend for every job not
already in the results file, maps each answer back to the item's scale value, and commits one
row per response (:mod:`psychometry.store`). Re-running the same call resumes.

Answer modes
------------
``logprob`` (default)
    ``backend.option_logprobs(prompt, labels)`` gives log P(label | prompt) for the k shown
    labels. They are normalised over the options,

    .. math:: p_i = \\frac{\\exp \\ell_i}{\\sum_{j=1}^{k} \\exp \\ell_j},

    and stored twice: ``probs``, JSON keyed by scale value (options that share a value, as in
    choice items scored 1/0, are summed), and ``position_probs``, a JSON list aligned with the
    shown positions (``shown_values``). The answer is the argmax option (``value`` = its
    scale value, ``position`` = its 1-based shown position), ``expected`` = :math:`\\sum_i p_i
    v_i`, ``entropy`` = :math:`-\\sum_i p_i \\ln p_i` (nats), and ``label_mass`` =
    :math:`\\sum_i \\exp \\ell_i` (how much of the next-token distribution the labels take;
    Hu & Levy 2023; Dominguez-Olmedo et al. 2024).
``generate``
    ``backend.generate`` (``temperature``, ``max_tokens``, optional GBNF grammar restricting the
    reply to one label), parsed with :func:`psychometry.answers.parse_answer`: status ``ok``,
    ``refused`` or ``unparsed``; the raw reply is stored. Each response gets its own sampling
    seed (:func:`psychometry.plan.job_seed`), distinct across repeats.

Repeats
-------
``repeats > 1`` needs sampling (``mode="generate"`` with ``temperature > 0``): logprob answers and
greedy replies are deterministic, so further repeats would be copies of the first respondent that
only inflate n. :func:`administer` refuses them.

Example
-------
>>> from psychometry.backends import FakeBackend
>>> res = administer(Design([my_instrument], orders="original"), model=FakeBackend(choice=0), out="x.sqlite")  # doctest: +SKIP
>>> print(res.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ._version import __version__
from .backends.base import Backend, GenerateRequest, ScoreRequest, batch_size, generate_many, score_many
from .backends.native import default_threads
from .config import MODES, AnswerConfig, ConfigError, Design, ModelConfig
from .errors import PsychometryError, StoreError, warn_deprecated
from .instrument.model import Instrument
from .orders import parse_orders
from .personas import parse_shape
from .plan import Job, fmt_value, job_seed, order_notes, plan_jobs, respondent_tag, response_id
from .scoring import score_long
from .store import Store, check_out, config_differences, now_iso

__all__ = [
    "DEFAULT_OUT",
    "MODES",
    "AnswerConfig",
    "Design",
    "ModelConfig",
    "RunResult",
    "administer",
    "summarise",
]

DEFAULT_OUT = "psychometry-run.sqlite"


# --------------------------------------------------------------------------- results
@dataclass
class RunResult:
    """What :func:`administer` did: the file, the run, and how many responses were written."""

    path: Path
    run_id: str
    planned: int
    written: int
    skipped: int
    resumed: bool
    seconds: float
    response_ids: frozenset[str] = field(default_factory=frozenset, repr=False)
    instruments: tuple[Instrument, ...] = field(default=(), repr=False)
    notes: tuple[str, ...] = ()

    def results(self) -> pd.DataFrame:
        """This run's rows of the long table: every stored response of its design, including
        those an earlier run of the file stored (``load_results(path, run_id=run_id)``)."""
        from .results import load_results

        return load_results(self.path, run_id=self.run_id)

    def summary_frame(self) -> pd.DataFrame:
        """Per instrument and scale: respondents, mean/SD/min/max of the scale score, and the
        refusal and unparsed rates (see :func:`summarise`)."""
        return summarise(self.results(), self.instruments)

    def summary(self) -> str:
        """The summary printed at the end of ``psychometry administer``."""
        head = (
            f"{self.path}: run {self.run_id}: {self.planned} responses planned, "
            f"{self.written} written now, {self.skipped} already stored"
            f"{' (resumed)' if self.resumed else ''}; {self.seconds:.1f} s"
        )
        head += "".join(f"\nnote: {n}" for n in self.notes)
        tab = self.summary_frame()
        if tab.empty:
            return head
        with pd.option_context("display.width", 120, "display.max_rows", 500):
            body = tab.to_string(index=False, float_format=lambda x: f"{x:.2f}")
        return head + "\n" + body


def _describe(per: pd.Series) -> dict[str, float]:
    return {
        "n": int(per.size),
        "mean": float(per.mean()) if per.size else math.nan,
        "sd": float(per.std(ddof=1)) if per.size > 1 else math.nan,
        "min": float(per.min()) if per.size else math.nan,
        "max": float(per.max()) if per.size else math.nan,
    }


def summarise(df: pd.DataFrame, instruments: Sequence[Instrument]) -> pd.DataFrame:
    """Scale scores per simulated respondent, described across respondents.

    Scores come from :func:`psychometry.scoring.score_long` (reverse keying ``min + max - v``,
    ``mean`` or pro-rated ``sum`` scoring, offsets, ``min_items``). Returns one row per
    (instrument, scale) of ``instruments`` found in ``df``: ``n`` respondents with a score,
    ``mean``, ``sd`` (n - 1), ``min``, ``max``, and the share of the scale's responses
    ``refused`` / ``unparsed``.
    """
    cols = ["instrument", "scale", "n", "mean", "sd", "min", "max", "refused", "unparsed"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    out = []
    scores = {inst.id: score_long(df, inst) for inst in instruments if (df["instrument"] == inst.id).any()}
    for inst in instruments:
        if inst.id not in scores:
            continue
        mine = df[df["instrument"] == inst.id]
        for sc in inst.scales:
            g = mine[mine["scale"] == sc.id]
            if g.empty:
                continue
            total = len(g)
            rates = {
                "refused": float((g["status"] == "refused").sum() / total),
                "unparsed": float((g["status"] == "unparsed").sum() / total),
            }
            per = scores[inst.id][sc.id].dropna().astype(float)
            out.append({"instrument": inst.id, "scale": sc.id, **_describe(per), **rates})
    return pd.DataFrame(out, columns=cols)


# --------------------------------------------------------------------------- progress
class _Progress:
    """A plain-text progress line on stderr with rate and ETA (only on a TTY)."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled and total > 0 and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.done = 0
        self.t0 = time.monotonic()
        self._last = 0.0

    def step(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and self.done < self.total:
            return
        self._last = now
        elapsed = max(now - self.t0, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        width = 30
        fill = int(width * self.done / self.total)
        bar = "#" * fill + "." * (width - fill)
        sys.stderr.write(
            f"\r[{bar}] {self.done}/{self.total} {100 * self.done / self.total:3.0f}% "
            f"{rate:5.1f}/s ETA {int(eta) // 60}:{int(eta) % 60:02d} "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


# --------------------------------------------------------------------------- helpers
def _resolve_instruments(instruments: Sequence[Any]) -> list[Instrument]:
    """The :class:`Instrument` objects of a design (ids and YAML paths loaded)."""
    from .instrument.load import load_instrument

    return [x if isinstance(x, Instrument) else load_instrument(str(x)) for x in instruments]


def _softmax(logprobs: Sequence[float]) -> list[float] | None:
    finite = [lp for lp in logprobs if lp != -math.inf and not math.isnan(lp)]
    if not finite:
        return None
    m = max(finite)
    ex = [math.exp(lp - m) if lp != -math.inf and not math.isnan(lp) else 0.0 for lp in logprobs]
    s = sum(ex)
    return [e / s for e in ex]


def _probs_json(probs: Sequence[float], shown_values: Sequence[float]) -> str:
    by_value: dict[float, float] = {}
    for p, v in zip(probs, shown_values):
        by_value[float(v)] = by_value.get(float(v), 0.0) + p
    return json.dumps({fmt_value(v): round(by_value[v], 10) for v in sorted(by_value)})


def _position_probs_json(probs: Sequence[float]) -> str:
    """The option probabilities in shown order (aligned with ``shown_values``), as a JSON list."""
    return json.dumps([round(float(p), 10) for p in probs])


def _base_row(
    job: Job, *, rid: str, run_id: str, model: str, mode: str, tag: str | None = None
) -> dict[str, Any]:
    return {
        "response_id": rid,
        "run_id": run_id,
        "model": model,
        "persona": job.persona.id,
        "template": job.template.id,
        "order": job.order.name,
        "repeat": job.repeat,
        "respondent": job.respondent(model, tag),
        "instrument": job.instrument.id,
        "item": job.item.id,
        "scale": job.item.scale,
        "keyed": int(1 if job.item.keyed >= 0 else -1),
        "shown_values": job.shown_values_text,
        "mode": mode,
        "status": "unparsed",
        "value": None,
        "position": None,
        "expected": None,
        "entropy": None,
        "label_mass": None,
        "probs": None,
        "position_probs": None,
        "raw_text": None,
        "prompt_hash": job.prompt_hash,
        "seed": None,
    }


def _fill_logprob(job: Job, row: dict[str, Any], scores: Any) -> None:
    """Fill ``row`` from the backend's :class:`~psychometry.backends.base.OptionScores`."""
    if len(scores.logprobs) != len(job.labels):
        raise PsychometryError(
            f"backend returned {len(scores.logprobs)} log-probabilities for {len(job.labels)} labels"
        )
    row["label_mass"] = float(scores.label_mass)
    probs = _softmax(scores.logprobs)
    if probs is None:  # no label has any probability: nothing to read
        return
    best = max(range(len(probs)), key=probs.__getitem__)
    vals = job.shown_values
    row.update(
        status="ok",
        value=float(vals[best]),
        position=float(best + 1),
        expected=float(sum(p * v for p, v in zip(probs, vals))),
        entropy=float(-sum(p * math.log(p) for p in probs if p > 0)),
        probs=_probs_json(probs, vals),
        position_probs=_position_probs_json(probs),
    )


def _generate_request(job: Job, *, seed: int, answers: AnswerConfig) -> GenerateRequest:
    return GenerateRequest(
        job.prompt,
        max_tokens=answers.max_tokens,
        temperature=answers.temperature,
        seed=job_seed(seed, job),
        choices=tuple(job.labels) if answers.grammar else None,  # the backend builds its own constraint
    )


def _fill_generate(job: Job, row: dict[str, Any], gen: Any, *, seed: int) -> None:
    """Parse the reply (:func:`psychometry.answers.parse_answer`) into ``row``."""
    from .answers import parse_answer

    anchors = None
    if job.instrument.response_format.type == "likert":
        from .templates import item_options

        texts, _ = item_options(job.instrument, job.item)
        anchors = job.order.apply(texts)
    parsed = parse_answer(gen.text, list(job.labels), anchors)
    row.update(status=parsed.status, raw_text=gen.text, seed=job_seed(seed, job))
    if parsed.status == "ok" and parsed.index is not None:
        row.update(value=float(job.shown_values[parsed.index]), position=float(parsed.index + 1))


# --------------------------------------------------------------------------- administer
#: The flat keywords of psychometry 0.1, by the settings object that holds them now.
_MOVED: dict[str, tuple[str, ...]] = {
    "Design": ("instruments", "templates", "orders", "personas", "shape", "repeats", "seed"),
    "ModelConfig": ("n_ctx", "n_gpu_layers", "threads", "chat_template", "cpu_repack", "batch_size"),
    "AnswerConfig": ("mode", "label_style", "temperature", "max_tokens", "grammar"),
}


def _is_backend(model: object) -> bool:
    """A backend object (the engine needs its ``info`` and ``format_chat``; see
    :class:`~psychometry.backends.base.Backend`) rather than a path or a :class:`ModelConfig`."""
    return hasattr(model, "info") and callable(getattr(model, "format_chat", None))


@dataclass(frozen=True)
class _Settings:
    """One administration's settings, resolved from :func:`administer`'s arguments."""

    design: Design
    model: ModelConfig
    answers: AnswerConfig
    backend: Backend | None  # None: the engine opens the backend ``model`` describes


def _settings(design: Any, model: Any, answers: Any, legacy: dict[str, Any]) -> _Settings:
    """Build the three settings objects from :func:`administer`'s arguments, mapping the flat
    keywords of psychometry 0.1 into them (each with a :class:`DeprecationWarning`)."""
    moved: dict[str, dict[str, Any]] = {name: {} for name in _MOVED}
    backend: Backend | None = None
    for old, value in legacy.items():
        if old == "backend":
            warn_deprecated("administer(): backend= is deprecated; pass the backend as model=", stacklevel=3)
            backend = value
            continue
        owner = next((name for name, fields in _MOVED.items() if old in fields), None)
        if owner is None:
            raise TypeError(f"administer() got an unexpected keyword argument {old!r}")
        warn_deprecated(f"administer(): {old}= is deprecated; use {owner}({old}=...)", stacklevel=3)
        moved[owner][old] = value

    if isinstance(design, Design):
        if moved["Design"]:
            raise ConfigError(
                f"administer(): {', '.join(moved['Design'])}= given with a Design; set them in the Design"
            )
    else:
        if design is not None and "instruments" in moved["Design"]:
            raise ConfigError("administer(): instruments given twice (first argument and instruments=)")
        if design is not None:
            moved["Design"]["instruments"] = design
        if "instruments" not in moved["Design"]:
            raise ConfigError("administer() needs a Design or instrument ids, e.g. administer('bfi44')")
        design = Design(**moved["Design"])

    if _is_backend(model):
        backend, model = model, None
    if isinstance(model, ModelConfig):
        if moved["ModelConfig"]:
            raise ConfigError(
                f"administer(): {', '.join(moved['ModelConfig'])}= given with a ModelConfig; set them in the ModelConfig"
            )
        config = model
    elif model is None or isinstance(model, (str, Path)):
        config = ModelConfig(path=model, **moved["ModelConfig"])
    else:
        raise ConfigError(
            f"administer(): model must be a ModelConfig, a GGUF path or a backend "
            f"(psychometry.backends.base.Backend), not {type(model).__name__}"
        )
    if backend is not None and not _is_backend(backend):
        raise ConfigError(
            f"administer(): backend must have info and format_chat, not {type(backend).__name__}"
        )

    if answers is None:
        answers = AnswerConfig(**moved["AnswerConfig"])
    elif not isinstance(answers, AnswerConfig):
        raise ConfigError(f"administer(): answers must be an AnswerConfig, not {type(answers).__name__}")
    elif moved["AnswerConfig"]:
        raise ConfigError(
            f"administer(): {', '.join(moved['AnswerConfig'])}= given with an AnswerConfig; set them in the AnswerConfig"
        )
    return _Settings(design=design, model=config, answers=answers, backend=backend)


def _check_repeats(design: Design, answers: AnswerConfig) -> None:
    """Repeats above 1 need sampling: otherwise they are copies of one respondent."""
    repeats, mode = design.repeats, answers.mode
    if repeats == 1 or (mode == "generate" and answers.temperature > 0):
        return
    why = (
        "logprob answers are deterministic"
        if mode == "logprob"
        else "greedy replies (temperature 0) are deterministic"
    )
    raise PsychometryError(
        f"--repeats {repeats} is refused in {mode} mode: {why}, so the {repeats} repeats would be "
        f"identical copies of every respondent, which inflate n (smaller p-values, no new "
        f"information); for independent administrations use --mode generate with --temperature > 0 "
        f"(e.g. 0.7), otherwise --repeats 1. A results file written by an earlier version with "
        f"these settings can still be read (results info, load_results) but not resumed or extended"
    )


def administer(
    design: Design | str | Path | Instrument | Sequence[str | Path | Instrument] | None = None,
    *,
    model: ModelConfig | Backend | str | Path | None = None,
    answers: AnswerConfig | None = None,
    out: str | Path = DEFAULT_OUT,
    add_run: bool = False,
    progress: bool = True,
    **deprecated: Any,
) -> RunResult:
    """Administer instruments to a language model and store every response.

    Parameters
    ----------
    design
        A :class:`~psychometry.config.Design` (instruments, templates, option orders, personas,
        trait shaping, repeats, seed), or instrument ids / YAML paths / Instrument objects for the
        default design (all templates, orders original and reversed, no persona).
    model
        A :class:`~psychometry.config.ModelConfig` (GGUF path and llama.cpp settings, or an
        OpenAI-compatible server), a GGUF path (``None``: the default model), or any object
        implementing :class:`~psychometry.backends.base.Backend` (used as it is; the caller
        closes it).
    answers
        An :class:`~psychometry.config.AnswerConfig`: answer mode, option labels, generation
        settings (default: logprob mode, digit labels).
    out
        The SQLite results file (created if missing; resumed if it holds this configuration).
    add_run
        Allow a different configuration to be added to a file that already holds a run.
    progress
        A progress line on stderr (on a terminal).
    **deprecated
        The flat keywords of psychometry 0.1 (``orders=``, ``mode=``, ``n_ctx=``, ``backend=``...)
        still work until psychometry 1.1, with a :class:`DeprecationWarning` naming the settings
        field that replaces each.

    ``administer("bfi44", model="model.gguf")`` is the short form. The design (plan, templates,
    personas, labels, orders) and ``out`` are checked before the model is loaded, so design errors
    come before the (slow) model load. An order condition that shows every item of an instrument in
    the same order as an earlier condition (a copy of that respondent) is dropped and reported in
    :attr:`RunResult.notes`.

    Returns
    -------
    RunResult
        ``path``, ``run_id``, counts, and :meth:`RunResult.summary`.
    """
    t0 = time.monotonic()
    settings = _settings(design, model, answers, deprecated)
    _check_repeats(settings.design, settings.answers)
    insts = _resolve_instruments(settings.design.instruments)
    out = Path(out)
    # Validate the whole design and the results file before a (slow) model load: the plan with
    # plain formatting raises every design error (duplicate instruments, no template for a response
    # type, non-distinct anchor labels...), and the results file must be usable.
    config = _config(
        plan_jobs(insts, settings.design, label_style=settings.answers.label_style), settings, model=None
    )
    existing = check_out(out)
    if (
        existing
        and not add_run
        and not any(
            {k: v for k, v in r["config"].items() if k != "model"}
            == {k: v for k, v in config.items() if k != "model"}
            for r in existing
        )
    ):
        raise _different_configuration(out, existing[-1], config)
    notes = tuple(order_notes(insts, settings.design.orders, seed=settings.design.seed))

    backend = settings.backend or _open_backend(settings.model, seed=settings.design.seed)
    try:
        return _run(
            backend, settings, _Target(out=out, add_run=add_run, progress=progress, notes=notes, t0=t0), insts
        )
    finally:
        if settings.backend is None and hasattr(backend, "close"):
            backend.close()


def _open_backend(config: ModelConfig, *, seed: int) -> Backend:
    """The backend a :class:`ModelConfig` describes (llama.cpp in-process, or servers)."""
    if config.backend == "openai":
        from .backends.openai import OpenAIBackend

        return OpenAIBackend(
            list(config.base_url),
            None if config.path is None else str(config.path),
            api_key_env=config.api_key_env,
            concurrency=config.concurrency,
            request_timeout=config.request_timeout,
            seed=seed,
            chat="auto" if config.chat_template == "auto" else config.chat_template == "model",
        )
    from .backends.llama import LlamaCppBackend

    return LlamaCppBackend(
        config.path,
        n_ctx=config.n_ctx,
        n_threads=config.threads if config.threads is not None else default_threads(),
        n_gpu_layers=config.n_gpu_layers,
        seed=seed,
        chat_template=config.chat_template,
        cpu_repack=config.cpu_repack,
        batch_size=config.batch_size,
    )


def _config(jobs: list[Job], settings: _Settings, *, model: dict | None) -> dict[str, Any]:
    """The run configuration (its hash is the run id). Its keys and values are those of
    psychometry 0.1, so that run ids (and resuming older files) do not change."""
    design, answers = settings.design, settings.answers
    persona_hashes = {j.persona.id: j.persona.text_hash for j in jobs}
    return {
        "instruments": {j.instrument.id: j.instrument_hash for j in jobs},
        "model": model,
        "templates": {j.template.id: j.template.text_hash for j in jobs},
        "orders": list(parse_orders(design.orders)),
        "labels": answers.label_style,
        "personas": {  # by content, not by file name: the same personas from a moved file resume
            "n": len(persona_hashes),
            "sha256": hashlib.sha256(json.dumps(persona_hashes, sort_keys=True).encode()).hexdigest(),
        },
        "shape": parse_shape(design.shape),
        "repeats": design.repeats,
        "mode": answers.mode,
        "seed": int(design.seed),
        "generation": answers.generation,
        "chat_template": settings.model.chat_template,
    }


def _different_configuration(path: Path, last: dict[str, Any], config: dict[str, Any]) -> StoreError:
    diff = [k for k in config_differences(last["config"], config) if k != "model" or config.get("model")]
    return StoreError(
        f"{path} already holds run {last['run_id']} with a different configuration (differs in: "
        f"{', '.join(diff) or 'settings'}); re-run the same command to resume it, choose another --out, "
        "or pass --add-run to add this run"
    )


@dataclass(frozen=True)
class _Target:
    """Where and how a run is written."""

    out: Path
    add_run: bool
    progress: bool
    notes: tuple[str, ...]
    t0: float


def _manifest(
    info: Any,
    settings: _Settings,
    config: dict[str, Any],
    insts: list[Instrument],
    jobs: list[Job],
    notes: tuple[str, ...],
) -> dict[str, Any]:
    """The run manifest of a new run (``docs/administration.md``): versions, model, hashes and the
    three settings objects as dicts (``design``, ``model_config``, ``answers``)."""
    design = settings.design
    personas, shape = design.personas, design.shape
    return {
        "psychometry_version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "llama_cpp_python": getattr(sys.modules.get("llama_cpp"), "__version__", ""),  # loaded by the backend
        "model": {
            "name": info.name,
            "file": Path(info.path).name if info.path else "",
            "path": info.path,
            "size": info.size,
            "sha256": info.sha256,
        },
        "backend_settings": dict(info.settings),
        "templates": config["templates"],
        "instruments": {
            i.id: {
                "hash": config["instruments"][i.id],
                "version": i.version,
                "path": str(i.path) if i.path else "",
            }
            for i in insts
        },
        "personas": {j.persona.id: j.persona.text_hash for j in jobs},
        "personas_spec": str(personas) if isinstance(personas, (str, Path)) or personas is None else "custom",
        "shape": shape if isinstance(shape, (str, dict, type(None))) else [str(x) for x in shape],
        "seed": int(design.seed),
        "design": design.to_dict(),
        "model_config": settings.model.to_dict(),
        "answers": settings.answers.to_dict(),
        "started_at": now_iso(),
        "ended_at": None,
        "planned": len(jobs),
        "notes": list(notes),
    }


def _run(backend: Backend, settings: _Settings, target: _Target, insts: list[Instrument]) -> RunResult:
    design, answers = settings.design, settings.answers
    mode, seed, generation = answers.mode, design.seed, answers.generation
    info = backend.info
    model_name = info.name
    model_key = info.sha256 or info.name
    jobs = plan_jobs(insts, design, label_style=answers.label_style, format_chat=backend.format_chat)
    ids = [
        response_id(
            j,
            model_key=model_key,
            mode=mode,
            label_style=answers.label_style,
            seed=seed,
            generation=generation,
        )
        for j in jobs
    ]
    config = _config(jobs, settings, model={"name": model_name, "sha256": info.sha256})
    run_id = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]
    manifest = _manifest(info, settings, config, insts, jobs, target.notes)
    out = target.out

    written = 0
    with Store(out) as store:
        resumed = store.begin_run(run_id, config, manifest, add_run=target.add_run)
        store.add_members(run_id, ids)  # the run's design, whoever stores each response
        done = store.completed_ids()
        todo = [(j, rid) for j, rid in zip(jobs, ids) if rid not in done]
        skipped = len(jobs) - len(todo)
        chat = str(info.settings.get("chat_template", ""))  # the formatting the backend applies
        tags: dict[tuple[str, str], str | None] = {}
        bar = _Progress(len(todo), target.progress)
        complete = False
        size = batch_size(backend)
        whole = bool(getattr(backend, "batch_dependent", False))
        try:
            # Batches are fixed chunks of the plan, so that a request's batch never depends on
            # what an earlier session stored: a backend whose numbers depend on the batch
            # (``batch_dependent``) gets the whole chunk again, and only missing rows are written.
            for start in range(0, len(jobs), size):
                chunk = list(zip(jobs[start : start + size], ids[start : start + size]))
                if all(rid in done for _, rid in chunk):
                    continue
                if not whole:
                    chunk = [(j, rid) for j, rid in chunk if rid not in done]
                results: Iterable[tuple[int, Any]]
                if mode == "logprob":
                    results = score_many(backend, [ScoreRequest(j.prompt, tuple(j.labels)) for j, _ in chunk])
                else:
                    results = generate_many(
                        backend, [_generate_request(j, seed=seed, answers=answers) for j, _ in chunk]
                    )
                for k, result in results:
                    job, rid = chunk[k]
                    if rid in done:
                        continue
                    key = (job.persona.id, job.template.id)
                    if key not in tags:
                        tags[key] = (
                            respondent_tag(
                                job,
                                model_key=model_key,
                                mode=mode,
                                label_style=answers.label_style,
                                seed=seed,
                                generation=generation,
                                chat=chat,
                            )
                            if store.tagged_respondents
                            else None
                        )
                    row = _base_row(job, rid=rid, run_id=run_id, model=model_name, mode=mode, tag=tags[key])
                    if mode == "logprob":
                        _fill_logprob(job, row, result)
                    else:
                        _fill_generate(job, row, result, seed=seed)
                    row["created_at"] = now_iso()
                    if store.insert(row, prompt=job.prompt):
                        written += 1
                    done.add(rid)
                    bar.step()
            complete = True
        except PsychometryError as exc:
            stored = len(jobs) - len(todo) + written
            msg = f"{exc}; {stored} of {len(jobs)} responses are stored in {out}: re-run the same command to resume"
            try:
                err = type(exc)(msg)
            except TypeError:  # an error class with its own constructor
                err = PsychometryError(msg)
            raise err from None
        finally:
            bar.close()
            store.end_session(run_id, written, complete=complete)
    return RunResult(
        path=out,
        run_id=run_id,
        planned=len(jobs),
        written=written,
        skipped=skipped,
        resumed=resumed,
        seconds=time.monotonic() - target.t0,
        response_ids=frozenset(ids),
        instruments=tuple(insts),
        notes=target.notes,
    )
