"""The administration engine: plan -> backend -> store, as a short conductor.

:func:`administer` checks the settings (:mod:`psychometry.config`), builds the plan once
(:mod:`psychometry.plan`), checks the results file before the (slow) model load, opens the backend
(:func:`psychometry.backends.load_backend`), and then administers the plan's episodes: it hands the
backend fixed chunks of requests, reads each answer (:mod:`psychometry.answers`), and commits one
row per response through the store's row schema (:func:`psychometry.store.response_row`). The run's
configuration and manifest come from :mod:`psychometry.manifest`, the :class:`RunResult` and its
summary from :mod:`psychometry.results`. Re-running the same call resumes.

Answer modes: ``logprob`` (default) scores the shown labels as the next token
(:func:`psychometry.answers.read_scores`); ``generate`` asks for a reply, parsed by
:func:`psychometry.answers.read_reply`, each with its own sampling seed
(:func:`psychometry.plan.job_seed`). Repeats above 1 need sampling
(:func:`psychometry.config.check_repeats`).

Episodes
--------
The engine's loop runs over episodes (:class:`psychometry.plan.Episode`): each round asks every
episode for its next requests given what it has been answered, and administers them in fixed
chunks. A questionnaire item is a one-step episode, so a questionnaire plan is one round. A repeated
game (:class:`psychometry.plan.GameEpisode`) asks one round per step, so round k of every game is
decoded together; a two-turn item (:class:`psychometry.plan.TwoTurnEpisode`) asks its follow-up
after its first answer. Their turns carry their stored rows, read back from the results file for
turns an earlier session stored, so a resumed game or item continues from what was stored.

Example
-------
>>> from psychometry.backends import FakeBackend
>>> res = administer(Design([my_instrument], orders="original"), model=FakeBackend(choice=0), out="x.sqlite")  # doctest: +SKIP
>>> print(res.summary())  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .answers import read_cloze, read_reply, read_scores
from .backends import load_backend
from .backends.base import (
    Backend,
    GenerateRequest,
    Loglikelihood,
    LoglikelihoodRequest,
    ModelInfo,
    ScoreRequest,
    batch_size,
    format_messages,
    generate_many,
    loglikelihood_many,
    score_many,
)
from .config import (
    MODES,
    AnswerConfig,
    ConfigError,
    Design,
    ModelConfig,
    Settings,
    check_repeats,
    resolve_settings,
)
from .errors import PsychometryError
from .instrument.model import Instrument
from .manifest import build_manifest, run_config, run_id
from .plan import (
    Episode,
    Job,
    Turn,
    episodes,
    format_jobs,
    job_seed,
    order_notes,
    plan_jobs,
    respondent_tag,
    response_id,
    turn_fields,
)
from .results import RunResult, summarise
from .store import Store, check_out, now_iso, response_row

_LINE = "psychometry.cli.progress.ProgressLine"

__all__ = [
    "DEFAULT_OUT",
    "MODES",
    "AnswerConfig",
    "Design",
    "ModelConfig",
    "Progress",
    "RunResult",
    "administer",
    "summarise",
]

DEFAULT_OUT = "psychometry-run.sqlite"
CLOZE_NOTE = (
    "cloze mode: no options are shown and templates and option orders do not apply; each item is asked "
    "once, as the lm-eval export asks it, and each option text is scored as its continuation"
)


class Progress(Protocol):
    """What :func:`administer` reports progress to (e.g. :class:`psychometry.cli.progress.ProgressLine`)."""

    def step(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


class _Silent:
    """No progress display (``progress=False``, or no display given)."""

    def __init__(self, total: int = 0) -> None: ...
    def step(self, n: int = 1) -> None: ...
    def close(self) -> None: ...


def administer(
    design: Design | str | Path | Instrument | Sequence[str | Path | Instrument] | None = None,
    *,
    model: ModelConfig | Backend | str | Path | None = None,
    answers: AnswerConfig | None = None,
    out: str | Path = DEFAULT_OUT,
    add_run: bool = False,
    progress: Callable[[int], Progress] | None = None,
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
        Where progress goes: a factory called with the number of responses to write that returns
        a :class:`Progress`, e.g. the progress line ``psychometry administer`` draws,
        :class:`psychometry.cli.progress.ProgressLine`; ``None`` or ``False`` (the default): no display.

    ``administer("bfi44", model="model.gguf")`` is the short form. The design and ``out`` are
    checked before the (slow) model load. An order condition that shows every item of an
    instrument in the same order as an earlier one is dropped and reported in :attr:`RunResult.notes`.

    Returns
    -------
    RunResult
        ``path``, ``run_id``, counts, and :meth:`RunResult.summary`.
    """
    t0 = time.monotonic()
    if not (progress is None or progress is False or callable(progress)):
        raise ConfigError(
            f"progress must be None, False or a display factory (e.g. {_LINE}), not {progress!r}"
        )
    settings = resolve_settings(design, model, answers)
    check_repeats(settings.design, settings.answers)
    insts = settings.design.load_instruments()
    out = Path(out)
    # The plan (in plain formatting) raises every design error (duplicate instruments, no template
    # for a response type, non-distinct anchor labels...), and the results file must be usable,
    # before a (slow) model load. The configuration without the model is compared with the file's.
    cloze = settings.answers.mode == "cloze"
    jobs = plan_jobs(insts, settings.design, label_style=settings.answers.label_style, cloze=cloze)
    config = run_config(jobs, settings)
    check_out(out, config, add_run=add_run)
    notes = (
        (CLOZE_NOTE,)
        if cloze
        else tuple(order_notes(insts, settings.design.orders, seed=settings.design.seed))
    )

    if settings.backend is not None:
        backend = settings.backend
    else:
        name, path, options = settings.model.backend_args(seed=settings.design.seed)
        backend = load_backend(name, path, **options)
    bar = progress if callable(progress) else _Silent
    target = _Target(out=out, add_run=add_run, progress=bar, notes=notes, t0=t0)
    try:
        return _run(backend, settings, target, insts, jobs, config)
    finally:
        if settings.backend is None and hasattr(backend, "close"):
            backend.close()


@dataclass(frozen=True)
class _Target:
    """Where and how a run is written."""

    out: Path
    add_run: bool
    progress: Callable[[int], Progress]
    notes: tuple[str, ...]
    t0: float


def _generate_request(job: Job, *, seed: int, answers: AnswerConfig) -> GenerateRequest:
    return GenerateRequest(
        job.prompt,
        max_tokens=answers.max_tokens,
        temperature=answers.temperature,
        seed=job_seed(seed, job),
        choices=tuple(job.labels) if answers.grammar else None,  # the backend builds its own constraint
    )


def _ask(backend: Backend, jobs: Sequence[Job], settings: Settings) -> Iterable[tuple[int, Any]]:
    """``(index, result)`` for each of ``jobs`` as the backend returns them (one batch)."""
    if settings.answers.mode == "logprob":
        return score_many(backend, [ScoreRequest(j.prompt, tuple(j.labels)) for j in jobs])
    if settings.answers.mode == "cloze":
        return _cloze(backend, jobs)
    seed = settings.design.seed
    return generate_many(backend, [_generate_request(j, seed=seed, answers=settings.answers) for j in jobs])


def _cloze(backend: Backend, jobs: Sequence[Job]) -> Iterator[tuple[int, list[Loglikelihood]]]:
    """``(index, [Loglikelihood per label])`` for each job: every (prompt, option text) pair of the
    batch in one :func:`~psychometry.backends.base.loglikelihood_many` call (shared prefixes decode
    once), a job yielded once all its options are scored."""
    pairs = [(j, k) for j, job in enumerate(jobs) for k in range(len(job.labels))]
    reqs = [LoglikelihoodRequest(jobs[j].prompt, jobs[j].labels[k]) for j, k in pairs]
    got: dict[int, dict[int, Loglikelihood]] = {}
    for i, res in loglikelihood_many(backend, reqs):
        j, k = pairs[i]
        got.setdefault(j, {})[k] = res
        if len(got[j]) == len(jobs[j].labels):
            yield j, [got[j][k] for k in range(len(jobs[j].labels))]


def _read(job: Job, result: Any, settings: Settings) -> dict[str, Any]:
    """The stored answer fields of a backend ``result`` for ``job``."""
    if settings.answers.mode == "logprob":
        return read_scores(result.logprobs, result.label_mass, job.labels, job.shown_values)
    if settings.answers.mode == "cloze":
        return read_cloze(result, job.labels, job.shown_values)
    number = job.instrument.response_format.type == "number"
    fields = read_reply(result.text, job.labels, job.shown_values, job.anchors, number=number)
    return {**fields, "seed": job_seed(settings.design.seed, job)}


class _Rows:
    """The rows of one run: identity columns from the job, respondent ids with their settings tag
    (:func:`psychometry.plan.respondent_tag`, one per persona and template), answer fields."""

    def __init__(self, settings: Settings, run: str, info: ModelInfo, chat: str, tagged: bool) -> None:
        a = settings.answers
        self.run, self.model_name, self.mode, self.chat, self.tagged = run, info.name, a.mode, chat, tagged
        self.id_args: dict[str, Any] = {"model_key": info.sha256 or info.name, "mode": a.mode}
        self.id_args.update(label_style=a.label_style, seed=settings.design.seed, generation=a.generation)
        self.tags: dict[tuple[str, str], str | None] = {}

    def response_id(self, job: Job) -> str:
        return response_id(job, **self.id_args)

    def row(self, job: Job, rid: str, fields: dict[str, Any]) -> dict[str, Any]:
        key = (job.persona.id, job.template.id)
        if key not in self.tags:
            self.tags[key] = respondent_tag(job, **self.id_args, chat=self.chat) if self.tagged else None
        return response_row(
            response_id=rid,
            run_id=self.run,
            model=self.model_name,
            persona=job.persona.id,
            template=job.template.id,
            order=job.order.name,
            repeat=job.repeat,
            respondent=job.respondent(self.model_name, self.tags[key]),
            instrument=job.instrument.id,
            item=job.item.id,
            scale=job.item.scale,
            keyed=int(1 if job.item.keyed >= 0 else -1),
            shown_values=job.shown_values_text,
            mode=self.mode,
            prompt_hash=job.prompt_hash,
            **fields,
            **turn_fields(job, fields),
            created_at=now_iso(),
        )


def _chunks(step: list[tuple[int, Job, str]], size: int, done: set[str], whole: bool) -> Iterator[list[Any]]:
    """The fixed chunks of a round that still hold work. Chunks are cut from the round's requests
    in plan order, so that a request's batch never depends on what an earlier session stored: a
    backend whose numbers depend on the batch (``whole``) gets the whole chunk again (only the
    missing rows are written), any other only the missing requests."""
    for start in range(0, len(step), size):
        chunk = step[start : start + size]
        if all(rid in done for _, _, rid in chunk):
            continue
        yield chunk if whole else [c for c in chunk if c[2] not in done]


def _next_requests(plan: Sequence[Episode], history: list[list[Turn]]) -> list[tuple[int, Job]]:
    """``(episode index, job)`` of every request the episodes ask next (a round), in plan order."""
    return [(e, j) for e, ep in enumerate(plan) for j in ep.next_requests(history[e])]


def _run(
    backend: Backend,
    settings: Settings,
    target: _Target,
    insts: list[Instrument],
    jobs: list[Job],
    config: dict[str, Any],
) -> RunResult:
    info = backend.info
    chat_format = functools.partial(format_messages, backend)  # the backend's chat format
    if settings.answers.mode != "cloze":  # cloze prompts are lm-eval's raw text, as lm-eval scores them
        jobs = format_jobs(jobs, chat_format)
    config = {**config, "model": {"name": info.name, "sha256": info.sha256}}
    run = run_id(config)
    manifest = build_manifest(info, settings, config, insts, jobs, target.notes)
    size, whole = batch_size(backend), bool(getattr(backend, "batch_dependent", False))
    label_style, seed = settings.answers.label_style, settings.design.seed
    plan: list[Episode] = episodes(jobs, label_style=label_style, seed=seed, format_messages=chat_format)
    history: list[list[Turn]] = [[] for _ in plan]
    planned: list[str] = []
    written = skipped = 0
    with Store(target.out) as store:
        resumed = store.begin_run(run, config, manifest, add_run=target.add_run)
        chat = str(info.settings.get("chat_template", ""))  # the formatting the backend applies
        rows = _Rows(settings, run, info, chat, store.tagged_respondents)
        complete = False
        try:
            while step := [(e, j, rows.response_id(j)) for e, j in _next_requests(plan, history)]:
                planned += [rid for _, _, rid in step]
                store.add_members(run, [rid for _, _, rid in step])  # the run's design, whoever stores each
                done = store.completed_ids()
                answered: dict[str, dict[str, Any]] = {}
                todo = sum(rid not in done for _, _, rid in step)
                skipped += len(step) - todo
                bar = target.progress(todo)
                try:
                    for chunk in _chunks(step, size, done, whole):
                        for k, result in _ask(backend, [j for _, j, _ in chunk], settings):
                            _, job, rid = chunk[k]
                            if rid in done:
                                continue
                            row = rows.row(job, rid, _read(job, result, settings))
                            answered[rid] = row
                            if store.insert(row, prompt=job.prompt):
                                written += 1
                            done.add(rid)
                            bar.step()
                finally:
                    bar.close()
                # what each request's answer was: answered now, or stored before (a resumed game
                # continues from its rounds as they were stored)
                answered.update(
                    store.stored_fields(
                        rid for _, j, rid in step if rid not in answered and (j.game or j.instrument.followup)
                    )
                )
                for e, j, rid in step:
                    history[e].append(Turn(j, rid, answered.get(rid)))
            complete = True
        except PsychometryError as exc:
            raise _resumable(exc, skipped + written, len(planned), target.out) from None
        finally:
            store.end_session(run, written, complete=complete)
    return RunResult(
        path=target.out,
        run_id=run,
        planned=len(planned),
        written=written,
        skipped=skipped,
        resumed=resumed,
        seconds=time.monotonic() - target.t0,
        response_ids=frozenset(planned),
        instruments=tuple(insts),
        notes=target.notes,
    )


def _resumable(exc: PsychometryError, stored: int, planned: int, out: Path) -> PsychometryError:
    """``exc`` (of its own class where it can be) telling how many responses are stored and how to resume."""
    msg = f"{exc}; {stored} of {planned} responses are stored in {out}: re-run the same command to resume"
    try:
        return type(exc)(msg)
    except TypeError:  # an error class with its own constructor
        return PsychometryError(msg)
