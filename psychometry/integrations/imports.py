"""Results of other tools into a psychometry results file (``psychometry results import``).

:func:`import_inspect`
    An inspect_ai eval log (``.eval`` or ``.json``, read with inspect's own
    ``inspect_ai.log.read_eval_log``) of a task written by
    :func:`psychometry.integrations.inspect.to_inspect`. The plan is rebuilt from the task's
    metadata (instrument, content hash, design) and each sample matched to its job by id and prompt
    hash; the reply is read with :func:`psychometry.answers.read_reply`, as in a psychometry
    generate-mode run (the rows are ``mode`` ``generate``, ``raw_text`` the reply). A sample's epoch
    is its repeat (epoch 1 is repeat 0).
:func:`import_lm_eval`
    lm-evaluation-harness's ``--log_samples`` output (``samples_<task>_<date>.jsonl``) of a task
    written by ``psychometry instruments export ID --format lm-eval``. Each doc is one item, its
    choices shown in the instrument's order (``order`` ``original``, ``template`` ``lm-eval``,
    ``mode`` ``logprob``); the per-choice log-likelihoods (``filtered_resps``, else ``resps``) become
    ``probs`` normalised over the choices (softmax, :func:`psychometry.answers.read_scores`);
    ``label_mass`` (the next-token probability on option labels) does not apply and is left empty. The model name and
    lm-eval's version come from the ``results_<date>.json`` written beside the samples, when there.

Both write through :class:`psychometry.store.Store`: one run per imported log, its configuration
the design plus ``source`` (tool and the source run: inspect's eval id, or the sha256 of the lm-eval
samples file), so that importing the same file again resumes (writes nothing new), and a file that
holds another run is refused unless ``add_run`` (``--add-run``). Response ids are the sha256 of
(source tool, source run, sample id, epoch); respondent ids end in a tag hashing the source tool and
run. The manifest's ``source`` names the tool, its version, the log and the model.

Degenerate log-likelihoods are named (:func:`psychometry.report.findings.degenerate_logprobs`):
the import returns the line (``ImportResult.degenerate``), keeps it in the manifest's notes, and the
report's findings print it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..answers import read_reply, read_scores
from ..config import AnswerConfig, Design, ModelConfig, Settings
from ..errors import PsychometryError
from ..instrument.load import load_instrument
from ..instrument.model import Instrument, fmt_value
from ..manifest import environment, run_config, run_id
from ..plan import Job, instrument_hash, plan_jobs
from ..report.findings import degenerate_logprobs
from ..store import COLUMNS, Store, check_out, now_iso, response_row
from .inspect import TASK_FORMAT

__all__ = [
    "SOURCES",
    "ImportResult",
    "ResultsImportError",
    "import_inspect",
    "import_lm_eval",
    "import_results",
]

#: the tools ``psychometry results import --from`` reads
SOURCES = ("inspect", "lm-eval")


class ResultsImportError(PsychometryError):
    """A file that cannot be imported: not the tool's output, another task's, truncated, incomplete."""


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote: the results file, the run, counts, and the notes (degenerate first)."""

    path: Path
    run_id: str
    source: str
    model: str
    planned: int
    written: int
    resumed: bool
    counts: Mapping[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    degenerate: str | None = None

    def summary(self, *, degenerate: bool = True) -> str:
        """One paragraph: what was imported where, the statuses, then the notes (without the
        degenerate line when ``degenerate`` is False: the CLI prints it as a warning)."""
        st = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        head = (
            f"imported {self.planned} responses of {self.model} from {self.source} into {self.path} "
            f"(run {self.run_id}; {self.written} written"
            + (", the rest stored before" if self.resumed or self.written < self.planned else "")
            + f"; {st})"
        )
        notes = [n for n in self.notes if degenerate or n != self.degenerate]
        return "\n".join([head, *notes])


def _sha(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(list(parts), sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _response_id(tool: str, source_run: str, sample_id: Any, epoch: int) -> str:
    """sha256 (first 32 hex digits) of the source tool, the source run, the sample id and the epoch."""
    return _sha(tool, source_run, str(sample_id), int(epoch))[:32]


def _write(
    out: Path,
    config: dict[str, Any],
    manifest: dict[str, Any],
    rows: Sequence[tuple[dict[str, Any], str | None]],
    *,
    add_run: bool,
) -> tuple[str, int, bool]:
    """Write one imported run: ``(run id, rows written, resumed)``."""
    run = run_id(config)
    check_out(out)  # a folder, a foreign file: refused before anything is written
    written = 0
    with Store(out) as store:
        resumed = store.begin_run(run, config, manifest, add_run=add_run)
        store.add_members(run, [r["response_id"] for r, _ in rows])
        try:
            for row, prompt in rows:
                written += bool(store.insert(row, prompt=prompt))
        finally:
            store.end_session(run, written, complete=True)
    return run, written, resumed


def _frame(rows: Sequence[tuple[dict[str, Any], str | None]]) -> pd.DataFrame:
    return pd.DataFrame([{c: r[c] for c in COLUMNS} for r, _ in rows], columns=list(COLUMNS))


def _counts(rows: Sequence[tuple[dict[str, Any], str | None]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r, _ in rows:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


# ----------------------------------------------------------------------------------------- inspect
def _read_log(path: Path) -> Any:
    try:
        from inspect_ai.log import read_eval_log
    except ImportError:
        raise ResultsImportError(
            "importing an inspect log needs inspect_ai: pip install 'psychometry[inspect]'"
        ) from None
    if not path.is_file():
        raise ResultsImportError(f"{path}: no such inspect log")
    try:
        return read_eval_log(str(path))
    except Exception as exc:  # inspect raises many kinds for a truncated or foreign file
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ResultsImportError(
            f"{path}: not a readable inspect eval log ({why}); give the .eval or .json log that "
            "'inspect eval' wrote, complete"
        ) from None


def _task_meta(path: Path, log: Any) -> dict[str, Any]:
    meta = (log.eval.metadata or {}).get("psychometry")
    if not isinstance(meta, dict) or "instrument" not in meta or "design" not in meta:
        raise ResultsImportError(
            f"{path}: the log of inspect task {log.eval.task!r} is not a psychometry task's (no "
            "'psychometry' task metadata); export one with: psychometry instruments export ID --format inspect"
        )
    if meta.get("format") != TASK_FORMAT:
        raise ResultsImportError(
            f"{path}: psychometry task format {meta.get('format')!r} is not {TASK_FORMAT} (exported by "
            f"psychometry {meta.get('psychometry_version', '?')}): re-export the task with this version"
        )
    return meta


def _task_instrument(
    path: Path, meta: Mapping[str, Any], instrument: Instrument | str | Path | None
) -> Instrument:
    if isinstance(instrument, Instrument):
        inst = instrument
    else:
        ref = instrument or meta.get("instrument_path") or meta["instrument"]
        try:
            inst = load_instrument(ref)
        except PsychometryError as exc:
            raise ResultsImportError(
                f"{path}: the task's instrument {meta['instrument']!r} cannot be loaded ({exc}); "
                "give its YAML with --instrument FILE"
            ) from None
    if inst.id != meta["instrument"] or instrument_hash(inst) != meta.get("instrument_hash"):
        raise ResultsImportError(
            f"{path}: the task was exported from another version of instrument {meta['instrument']!r} "
            f"(content hash {str(meta.get('instrument_hash'))[:12]}, this one {instrument_hash(inst)[:12]}); "
            "give the YAML it was exported from with --instrument FILE"
        )
    return inst


def import_inspect(
    log_path: str | Path,
    out: str | Path,
    *,
    add_run: bool = False,
    instrument: Instrument | str | Path | None = None,
) -> ImportResult:
    """Import an inspect_ai eval log of an exported psychometry task into the results file ``out``.

    ``instrument``: the instrument the task was exported from, when it is neither shipped nor at
    the path the task recorded. Samples that ended in an error (no reply) are not stored and are
    counted in the notes. Raises :class:`ResultsImportError` for a log that is truncated, of another
    task, or of another version of the instrument; :class:`~psychometry.errors.StoreError` for a
    results file holding another run (unless ``add_run``).
    """
    path, out = Path(log_path), Path(out)
    log = _read_log(path)
    meta = _task_meta(path, log)
    inst = _task_instrument(path, meta, instrument)
    design = Design.from_dict({**meta["design"], "instruments": [inst]})
    answers = AnswerConfig.from_dict(meta.get("answers") or {"mode": "generate"})
    jobs = {
        f"{j.persona.id}/{j.template.id}/{j.order.name}/{j.item.id}": j
        for j in plan_jobs([inst], design, label_style=answers.label_style)
    }
    samples = log.samples or []
    if not samples:
        raise ResultsImportError(
            f"{path}: the log holds no samples (status {log.status}); re-run the task, or read a log "
            "written with samples"
        )
    tool, version = "inspect_ai", (log.eval.packages or {}).get("inspect_ai", "")
    source_run, model = log.eval.eval_id, str(log.eval.model)
    tag = _sha(tool, source_run)[:8]
    rows: list[tuple[dict[str, Any], str | None]] = []
    errors = 0
    for s in samples:
        job = jobs.get(str(s.id))
        if job is None or (s.metadata or {}).get("prompt_hash") != job.prompt_hash:
            raise ResultsImportError(
                f"{path}: sample {s.id!r} is not in the plan of {inst.id} (task exported with other "
                "templates or orders, or edited): re-export the task and run it again"
            )
        if s.error is not None or s.output is None:
            errors += 1
            continue
        reply = s.output.completion
        fields = read_reply(reply, job.labels, job.shown_values, job.anchors)
        repeat = int(s.epoch) - 1
        rid = _response_id(tool, source_run, s.id, s.epoch)
        rows.append((_row(job, rid, model, repeat, tag, "generate", fields), job.prompt))
    config = run_config(
        list(jobs.values()),
        Settings(design=design, model=ModelConfig(chat_template="model"), answers=answers, backend=None),
        model={"name": model, "sha256": None},
    )
    config["source"] = {"tool": tool, "run": source_run}
    notes: list[str] = []
    if log.status != "success":
        notes.append(
            f"the inspect log's status is {log.status!r}: {len(samples)} of {len(jobs)} samples logged"
        )
    if errors:
        notes.append(f"{errors} sample(s) ended in an error (no reply) and are not stored")
    manifest = _manifest(
        source={
            "tool": tool,
            "version": version,
            "log": str(path.resolve()),
            "eval_id": source_run,
            "run_id": log.eval.run_id,
            "task": log.eval.task,
            "created": str(log.eval.created),
            "model": model,
            "model_base_url": log.eval.model_base_url or "",
        },
        model=model,
        instruments={inst.id: (inst, config["instruments"][inst.id])},
        config=config,
        planned=len(rows),
        notes=notes,
        extra={"design": design.to_dict() | {"instruments": [inst.id]}, "answers": answers.to_dict()},
    )
    return _finish(
        out, config, manifest, rows, notes, add_run=add_run, source=f"inspect log {path.name}", model=model
    )


def _row(
    job: Job, rid: str, model: str, repeat: int, tag: str, mode: str, fields: dict[str, Any]
) -> dict[str, Any]:
    return response_row(
        response_id=rid,
        run_id="",  # set by _finish once the run id is known
        model=model,
        persona=job.persona.id,
        template=job.template.id,
        order=job.order.name,
        repeat=repeat,
        respondent=f"{model}/{job.persona.id}/{job.template.id}/{job.order.name}/{repeat}/{tag}",
        instrument=job.instrument.id,
        item=job.item.id,
        scale=job.item.scale,
        keyed=int(1 if job.item.keyed >= 0 else -1),
        shown_values=job.shown_values_text,
        mode=mode,
        prompt_hash=job.prompt_hash,
        **fields,
        created_at=now_iso(),
    )


def _manifest(
    *,
    source: dict[str, Any],
    model: str,
    instruments: Mapping[str, tuple[Instrument | None, str]],
    config: Mapping[str, Any],
    planned: int,
    notes: Sequence[str],
    extra: Mapping[str, Any],
) -> dict[str, Any]:
    env = environment()
    return {
        "psychometry_version": env["psychometry_version"],
        "python": env["python"],
        "platform": env["platform"],
        "source": source,
        "model": {"name": model, "file": "", "path": "", "size": 0, "sha256": ""},
        "backend_settings": {},
        "templates": config["templates"],
        "instruments": {
            iid: {
                "hash": h,
                "version": inst.version if inst is not None else "",
                "path": str(inst.path) if inst is not None and inst.path else "",
            }
            for iid, (inst, h) in instruments.items()
        },
        "seed": config.get("seed", 0),
        "personas_spec": "none",
        **extra,
        "started_at": now_iso(),
        "ended_at": None,
        "planned": planned,
        "notes": list(notes),
    }


def _finish(
    out: Path,
    config: dict[str, Any],
    manifest: dict[str, Any],
    rows: list[tuple[dict[str, Any], str | None]],
    notes: list[str],
    *,
    add_run: bool,
    source: str,
    model: str,
    known: str | None = None,
) -> ImportResult:
    """Write the rows (their run id set), naming degenerate log-likelihoods: ``known`` (a cause the
    source is known for), else what :func:`degenerate_logprobs` finds in the rows."""
    run = run_id(config)
    for r, _ in rows:
        r["run_id"] = run
    degenerate = known or degenerate_logprobs(_frame(rows), across_items=True)
    if degenerate:
        notes.insert(0, degenerate)
        manifest["notes"] = list(notes)
        manifest["degenerate"] = degenerate
    run, written, resumed = _write(out, config, manifest, rows, add_run=add_run)
    return ImportResult(
        path=out,
        run_id=run,
        source=source,
        model=model,
        planned=len(rows),
        written=written,
        resumed=resumed,
        counts=_counts(rows),
        notes=tuple(notes),
        degenerate=degenerate,
    )


# ----------------------------------------------------------------------------------------- lm-eval
def _float(x: Any) -> float | None:
    """A log-likelihood out of lm-eval's JSON: a number, or a number as text (``"-3.2"``)."""
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    if isinstance(x, str):
        try:
            return float(x)
        except ValueError:
            return None
    return None


def _loglikelihoods(sample: Mapping[str, Any], n: int) -> list[float] | None:
    """The ``n`` per-choice log-likelihoods of an lm-eval sample (``filtered_resps``: ``[[ll,
    is_greedy], ...]``; else ``resps``: ``[[[ll, is_greedy]], ...]``), None when it has none."""
    for key in ("filtered_resps", "resps"):
        resps = sample.get(key)
        if not isinstance(resps, list) or len(resps) != n:
            continue
        out = []
        for r in resps:
            while isinstance(r, list) and r and isinstance(r[0], list):  # resps: one more level
                r = r[0]
            ll = _float(r[0]) if isinstance(r, list) and r else _float(r)
            if ll is None:
                break
            out.append(ll)
        else:
            return out
    return None


def _context(sample: Mapping[str, Any], doc: Mapping[str, Any]) -> str:
    """The prompt lm-eval scored the choices after (its first request's context), else the doc's query."""
    args = sample.get("arguments")
    first: Any = None
    if isinstance(args, dict) and args:
        first = next(iter(args.values()))
        if isinstance(first, dict):
            first = list(first.values())
    elif isinstance(args, list) and args:
        first = args[0]
    if isinstance(first, list) and first and isinstance(first[0], str):
        return first[0]
    return str(doc.get("query", ""))


def _lm_eval_results(path: Path) -> dict[str, Any]:
    """The ``results_<date>.json`` lm-eval wrote beside ``samples_<task>_<date>.jsonl`` ({} if none)."""
    stem = path.stem
    date = stem.rsplit("_", 1)[-1] if stem.startswith("samples_") else ""
    if not date:
        return {}
    for cand in sorted(path.parent.glob(f"results_{date}*.json")):
        try:
            data = json.loads(cand.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return {}


def _read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise ResultsImportError(f"{path}: no such lm-eval samples file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsImportError(f"{path}: cannot read the lm-eval samples file ({exc})") from None
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            raise ResultsImportError(
                f"{path}: line {n} is not JSON (truncated?); give lm-eval's samples_<task>_<date>.jsonl "
                "(--log_samples) as it was written"
            ) from None
        if not isinstance(obj, dict):
            raise ResultsImportError(f"{path}: line {n} is not a JSON object (an lm-eval sample)")
        out.append(obj)
    if not out:
        raise ResultsImportError(f"{path}: the lm-eval samples file is empty")
    return out


_DOC_KEYS = ("instrument", "item", "scale", "keyed", "choices", "values")


def import_lm_eval(
    samples_path: str | Path,
    out: str | Path,
    *,
    add_run: bool = False,
    model: str | None = None,
) -> ImportResult:
    """Import lm-eval's ``--log_samples`` output of an exported psychometry task into ``out``.

    ``model``: the model name for the results (default: lm-eval's ``model(model_args)`` from the
    results JSON beside the samples, else ``lm-eval``). Raises
    :class:`ResultsImportError` for a file that is not JSON lines, is not a psychometry task's
    samples, or holds no per-choice log-likelihoods (e.g. a ``generate_until`` task).
    """
    path, out = Path(samples_path), Path(out)
    samples = _read_lines(path)
    results = _lm_eval_results(path)
    cfg: dict[str, Any] = results["config"] if isinstance(results.get("config"), dict) else {}
    if model is None:
        args = cfg.get("model_args")
        if cfg.get("model"):
            model = f"{cfg['model']}({args})" if isinstance(args, str) and args else str(cfg["model"])
        model = model or "lm-eval"
    version = str(results.get("lm_eval_version") or "")
    source_run = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    tool = "lm-eval"
    tag = _sha(tool, source_run)[:8]
    rows: list[tuple[dict[str, Any], str | None]] = []
    insts: dict[str, tuple[Instrument | None, str]] = {}
    positive = empty = 0
    for n, s in enumerate(samples, 1):
        doc = s.get("doc")
        if not isinstance(doc, dict) or any(k not in doc for k in _DOC_KEYS):
            raise ResultsImportError(
                f"{path}: sample {n} is not a psychometry task's (its doc lacks "
                f"{', '.join(k for k in _DOC_KEYS if not isinstance(doc, dict) or k not in doc)}); export the "
                "task with: psychometry instruments export ID --format lm-eval"
            )
        choices, values = doc["choices"], doc["values"]
        if not (isinstance(choices, list) and isinstance(values, list) and len(choices) == len(values) >= 2):
            raise ResultsImportError(
                f"{path}: sample {n}: 'choices' and 'values' must be lists of one length >= 2"
            )
        lls = _loglikelihoods(s, len(choices))
        if lls is None:
            raise ResultsImportError(
                f"{path}: sample {n} (item {doc['item']}) holds no per-choice log-likelihoods "
                f"(resps/filtered_resps with {len(choices)} numbers): import the samples of a "
                "multiple_choice task run with --log_samples"
            )
        positive += any(ll > 1e-6 for ll in lls)
        empty += any(ll == 0.0 for ll in lls)
        iid = str(doc["instrument"])
        if iid not in insts:
            try:
                inst: Instrument | None = load_instrument(iid)
                insts[iid] = (inst, instrument_hash(inst) if inst is not None else "")
            except PsychometryError:
                insts[iid] = (None, "")
        shown = [float(v) for v in values]
        lab = [str(c) for c in choices]
        # label_mass (next-token probability on the labels) has no meaning for whole continuations
        fields = {**read_scores(lls, math.nan, lab, shown), "label_mass": None}
        doc_id = s.get("doc_id", n - 1)
        context = _context(s, doc)
        repeat = 0
        rid = _response_id(tool, source_run, doc_id, 0)
        rows.append(
            (
                response_row(
                    response_id=rid,
                    run_id="",
                    model=model,
                    persona="none",
                    template="lm-eval",
                    order="original",
                    repeat=repeat,
                    respondent=f"{model}/none/lm-eval/original/{repeat}/{tag}",
                    instrument=iid,
                    item=str(doc["item"]),
                    scale=str(doc["scale"]),
                    keyed=int(1 if float(doc["keyed"]) >= 0 else -1),
                    shown_values=",".join(fmt_value(v) for v in shown),
                    mode="logprob",
                    prompt_hash=hashlib.sha256(context.encode("utf-8")).hexdigest(),
                    **fields,
                    created_at=now_iso(),
                ),
                context,
            )
        )
    ids = [r["response_id"] for r, _ in rows]
    if len(set(ids)) != len(ids):
        raise ResultsImportError(f"{path}: a doc_id occurs twice (not one lm-eval samples file)")
    task_hash = _sha(sorted((r["instrument"], r["item"], r["prompt_hash"]) for r, _ in rows))
    config: dict[str, Any] = {
        "instruments": {iid: h for iid, (_, h) in insts.items()},
        "model": {"name": model, "sha256": None},
        "templates": {"lm-eval": task_hash},
        "orders": ["original"],
        "labels": "choices",
        "personas": {"n": 1, "sha256": ""},
        "shape": None,
        "repeats": 1,
        "mode": "logprob",
        "seed": 0,
        "generation": {},
        "chat_template": "none",
        "source": {"tool": tool, "run": source_run},
    }
    notes: list[str] = []
    if positive:
        notes.append(
            f"{positive} of {len(rows)} items have a choice with a positive log-likelihood (a probability "
            "above 1): the source's numbers are not log-probabilities"
        )
    missing = [iid for iid, (inst, _) in insts.items() if inst is None]
    if missing:
        notes.append(
            f"instrument(s) {', '.join(missing)} not shipped: the report leaves out norms and sum scoring"
        )
    manifest = _manifest(
        source={
            "tool": tool,
            "version": version,
            "log": str(path.resolve()),
            "samples_sha256": source_run,
            "model": model,
            "model_args": cfg.get("model_args", ""),
            "task_hashes": results.get("task_hashes", {}),
        },
        model=model,
        instruments=insts,
        config=config,
        planned=len(rows),
        notes=notes,
        extra={},
    )
    known = _known_degenerate(str(cfg.get("model") or results.get("model_source") or ""), version)
    if empty * 2 > len(rows):
        known = known or (
            f"degenerate log-likelihoods: {empty} of {len(rows)} items have a choice scored exactly 0 (an "
            "empty continuation: the source dropped the continuation's tokens)"
        )
    return _finish(
        out,
        config,
        manifest,
        rows,
        notes,
        add_run=add_run,
        source=f"lm-eval samples {path.name}",
        model=model,
        known=known,
    )


#: lm-eval models whose log-likelihoods are wrong in lm-eval <= 0.4.13 (issue 20, docs/integrations.md)
_BROKEN_MODELS = ("gguf", "ggml")


def _version_tuple(v: str) -> tuple[int, ...]:
    parts = []
    for p in v.split("."):
        digits = "".join(c for c in p if c.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _known_degenerate(model: str, version: str) -> str | None:
    """The line for an lm-eval model known to give wrong log-likelihoods (lm-eval 0.4.13 and older,
    or an unknown version), else None."""
    if model not in _BROKEN_MODELS or (version and _version_tuple(version) > (0, 4, 13)):
        return None
    return (
        f"degenerate log-likelihoods: lm-eval {version or '(version unknown)'}'s {model} model sums "
        "token_logprobs[idx:-1], dropping each choice's last token (a one-token choice scores 0), and "
        "llama-cpp-python's server shifts echo log-probs by one position (its issue #1983): these are not "
        "the model's log-likelihoods (see docs/integrations.md)"
    )


def import_results(
    file: str | Path,
    source: str,
    out: str | Path,
    *,
    add_run: bool = False,
    instrument: str | Path | None = None,
    model: str | None = None,
) -> ImportResult:
    """:func:`import_inspect` (``source="inspect"``) or :func:`import_lm_eval` (``"lm-eval"``)."""
    if source == "inspect":
        if model is not None:
            raise ResultsImportError("--model is for lm-eval samples: an inspect log names its model")
        return import_inspect(file, out, add_run=add_run, instrument=instrument)
    if source == "lm-eval":
        if instrument is not None:
            raise ResultsImportError("--instrument is for inspect logs: lm-eval docs carry their items")
        return import_lm_eval(file, out, add_run=add_run, model=model)
    raise ResultsImportError(f"unknown source {source!r} (choose from {', '.join(SOURCES)})")
