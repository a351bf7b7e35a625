"""An instrument as an inspect_ai task (``psychometry instruments export ID --format inspect``).

:func:`to_inspect` writes two files into a folder: ``psychometry_<id>.py``, a task file that
inspect_ai runs on its own (``inspect eval psychometry_<id>.py --model ...``), and
``psychometry_<id>.jsonl``, its samples. The samples are the plan of a psychometry design
(:func:`psychometry.plan.plan_jobs`; default: every template for the instrument's response type,
option orders original and reversed, no persona): one sample per item x template x option order
(x persona), its input the job's conversation (:attr:`psychometry.plan.Job.messages`: the persona as
system message, the rendered item as user message), its id ``persona/template/order/item``, its
metadata the instrument, item, scale, keying, shown values, labels, anchors, template, order,
persona and the prompt's sha256.

Generate mode only. inspect_ai 0.3.285's ``GenerateConfig(logprobs=True, top_logprobs=k)`` returns
the log-probabilities of the tokens the model *generated* and of the ``k`` most likely alternatives
(0 to 20); it does not score given continuations, so an option label outside the top ``k`` has no
probability. ``prompt_logprobs`` (log-probabilities of prompt tokens, which could score a label
appended to the prompt) is vLLM only. psychometry's logprob mode (every label scored) stays with its
own engine, or with lm-eval's ``--log_samples`` imported by :mod:`psychometry.integrations.imports`.

The task's scorer reads the chosen option from the reply with psychometry's own reply parser
(:func:`psychometry.answers.read_reply`), copied into the task file when it is written, so that the
task file does not import psychometry (inspect alone runs it) and reads replies exactly as a
psychometry generate-mode run does. It scores no correctness: the score's value is the chosen
option's scale value (raw, before reverse keying), or ``unparsed`` / ``refused``; its metadata holds
``status``, ``value`` and ``position``; the one metric is ``parsed``, the share of samples with an
answer. The task's metadata (``psychometry``) holds the instrument, its content hash and the design,
which :func:`psychometry.integrations.imports.import_inspect` uses to rebuild the plan.

Example
-------
>>> from psychometry.integrations.inspect import to_inspect
>>> to_inspect("bfi44", "inspect_bfi44")  # doctest: +SKIP
[PosixPath('inspect_bfi44/psychometry_bfi44.py'), PosixPath('inspect_bfi44/psychometry_bfi44.jsonl')]
"""

from __future__ import annotations

import inspect as _pyinspect
import json
import pprint
import re
from pathlib import Path
from typing import Any

from .. import answers as _answers
from .._version import __version__
from ..config import AnswerConfig, Design
from ..errors import PsychometryError
from ..instrument.load import load_instrument
from ..instrument.model import Instrument, fmt_value
from ..plan import Job, instrument_hash, plan_jobs
from ..resources import data_dir

__all__ = ["InspectExportError", "inspect_samples", "task_name", "to_inspect"]

#: the version of the task's metadata layout (``psychometry.format``), checked by the import
TASK_FORMAT = 1


class InspectExportError(PsychometryError):
    """The inspect export cannot be written (a design it does not support, an unwritable folder)."""


def task_name(inst: Instrument) -> str:
    """The task's name: ``psychometry_<id>`` with every character that is not a letter, digit or
    underscore replaced by ``_`` (a Python identifier)."""
    return "psychometry_" + re.sub(r"\W", "_", inst.id)


def _shipped(inst: Instrument) -> bool:
    """Whether ``inst`` is a shipped instrument (loadable by its id from any psychometry install)."""
    if inst.path is None:
        return False
    try:
        return Path(inst.path).resolve().is_relative_to(data_dir().resolve())
    except OSError:  # pragma: no cover
        return False


def _sample_id(job: Job) -> str:
    return f"{job.persona.id}/{job.template.id}/{job.order.name}/{job.item.id}"


def inspect_samples(jobs: list[Job]) -> list[dict[str, Any]]:
    """One inspect sample (JSON) per job: ``id``, ``input`` (the conversation), ``target`` (empty:
    an item has no correct answer) and ``metadata``."""
    samples = []
    for j in jobs:
        samples.append(
            {
                "id": _sample_id(j),
                "input": j.messages,
                "target": "",
                "metadata": {
                    "instrument": j.instrument.id,
                    "item": j.item.id,
                    "scale": j.item.scale,
                    "keyed": int(1 if j.item.keyed >= 0 else -1),
                    "shown_values": [float(v) for v in j.shown_values],
                    "labels": list(j.labels),
                    "anchors": list(j.anchors) if j.anchors is not None else None,
                    "template": j.template.id,
                    "order": j.order.name,
                    "persona": j.persona.id,
                    "prompt_hash": j.prompt_hash,
                },
            }
        )
    return samples


def _parser_source() -> str:
    """psychometry's reply parser (``psychometry/answers.py``) as standalone code: its two
    package imports replaced by their definitions, its ``__future__`` import and ``__all__`` left
    out (annotations evaluated: inspect loads the task file without registering it as a module)."""
    src = _pyinspect.getsource(_answers)
    swaps = {
        "from __future__ import annotations\n": "",
        "from .errors import PsychometryError\n": "class PsychometryError(Exception):\n    pass\n",
        "from .instrument.model import fmt_value\n": _pyinspect.getsource(fmt_value),
    }
    for old, new in swaps.items():
        if old not in src:  # psychometry/answers.py changed its imports: this copy must follow
            raise InspectExportError(
                f"cannot copy the reply parser: psychometry/answers.py lacks {old.strip()!r}"
            )
        src = src.replace(old, new, 1)
    return re.sub(r"(?m)^__all__ = \[[^\]]*\]\n", "", src)


_TASK = '''\
"""inspect_ai task for {inst_id} ({inst_name}), written by psychometry {version}.

One sample per item x prompt template x option order ({n} samples in {samples_file}), generate mode.
The scorer reads the chosen option from the reply with psychometry's reply parser (copied below
from psychometry/answers.py, so that inspect alone runs this file); it never scores correctness:
a score's value is the option's scale value (before reverse keying), or "unparsed" / "refused".

    LOCAL_BASE_URL=http://127.0.0.1:8000/v1 LOCAL_API_KEY=unused \\
        inspect eval {task_file} --model openai-api/local/MODEL_NAME
    psychometry results import logs/FILE.eval --from inspect --out results.sqlite
    psychometry report results.sqlite

Instrument licence: {licence}
"""

# no "from __future__ import annotations": inspect loads this file without registering the module,
# and dataclasses then cannot resolve string annotations (Python >= 3.10 needed)
from pathlib import Path

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import json_dataset
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Metric, SampleScore, Score, Target, metric, scorer
from inspect_ai.solver import TaskState, generate

SAMPLES = Path(__file__).with_name({samples_file!r})
#: the instrument, its content hash and the design (psychometry results import rebuilds the plan from it)
PSYCHOMETRY = {meta}


@metric
def parsed() -> Metric:
    """The share of samples whose reply names one option."""

    def share(scores: list[SampleScore]) -> float:
        ok = [s.score.metadata is not None and s.score.metadata.get("status") == "ok" for s in scores]
        return sum(ok) / len(ok) if ok else 0.0

    return share


@scorer(metrics=[parsed()])
def option_value():
    """The chosen option's scale value (raw, before reverse keying), or the status (no correctness)."""

    async def score(state: TaskState, target: Target) -> Score:
        m = state.metadata
        reply = state.output.completion if state.output is not None else ""
        fields = read_reply(reply, m["labels"], m["shown_values"], m["anchors"])
        status = fields["status"]
        return Score(
            value=fields["value"] if status == "ok" else status,
            answer=reply,
            explanation=f"{{status}}: item {{m['item']}} ({{m['scale']}}, keyed {{m['keyed']:+d}}), "
            f"shown values {{m['shown_values']}}",
            metadata={{"status": status, "value": fields.get("value"), "position": fields.get("position")}},
        )

    return score


@task
def {name}() -> Task:
    return Task(
        dataset=json_dataset(str(SAMPLES)),
        solver=generate(),
        scorer=option_value(),
        config=GenerateConfig(max_tokens={max_tokens}, temperature={temperature!r}),
        metadata={{"psychometry": PSYCHOMETRY}},
        epochs=Epochs(1, "mode"),  # a value or a status per epoch: no mean of "unparsed"
        version={task_version},
    )


# ---------------------------------------------------------------------------------------------------
# psychometry's reply parser, copied from psychometry/answers.py (psychometry {version})
# ---------------------------------------------------------------------------------------------------
'''


def to_inspect(
    instrument: Instrument | str | Path,
    out: str | Path,
    *,
    design: Design | None = None,
    answers: AnswerConfig | None = None,
) -> list[Path]:
    """Write ``instrument`` as an inspect_ai task into the folder ``out``; returns the two paths
    (task file, samples file).

    ``design``: the templates, option orders, personas and seed (its instruments are ignored;
    default :class:`~psychometry.config.Design`: all templates, orders original and reversed, no
    persona); repeats must be 1 (inspect's ``--epochs`` gives repeats, imported as the repeat
    index). ``answers``: label style and generation settings (``max_tokens``, ``temperature``);
    generate mode only (see the module docstring), a ``grammar`` constraint is not available.
    """
    inst = instrument if isinstance(instrument, Instrument) else load_instrument(instrument)
    design = (
        Design(instruments=[inst])
        if design is None
        else Design.from_dict({**design.to_dict(), "instruments": [inst]})
    )
    answers = answers or AnswerConfig(mode="generate")
    if answers.mode != "generate":
        raise InspectExportError(
            "the inspect export asks for generated replies only (answers mode 'generate'): inspect gives "
            "log-probabilities of generated tokens, not of given options"
        )
    if answers.grammar:
        raise InspectExportError(
            "the inspect export cannot constrain replies to the labels (grammar): leave it off"
        )
    if design.repeats != 1:
        raise InspectExportError(
            f"the inspect export writes one sample per condition (repeats 1, not {design.repeats}): "
            "run the task with inspect's --epochs N for repeats"
        )
    jobs = plan_jobs([inst], design, label_style=answers.label_style)
    name = task_name(inst)
    folder = Path(out)
    task_file, samples_file = folder / f"{name}.py", folder / f"{name}.jsonl"
    meta = {
        "format": TASK_FORMAT,
        "psychometry_version": __version__,
        "instrument": inst.id,
        "instrument_version": inst.version,
        "instrument_hash": instrument_hash(inst),
        "instrument_path": "" if _shipped(inst) else str(Path(inst.path).resolve()) if inst.path else "",
        "design": {**design.to_dict(), "instruments": [inst.id]},
        "answers": answers.to_dict(),
        "samples": len(jobs),
    }
    header = _TASK.format(
        inst_id=inst.id,
        inst_name=inst.name,
        version=__version__,
        n=len(jobs),
        samples_file=samples_file.name,
        task_file=task_file.name,
        licence=" ".join(inst.licence.split()),
        meta=pprint.pformat(meta, width=100, sort_dicts=True),
        name=name,
        max_tokens=int(answers.max_tokens),
        temperature=float(answers.temperature),
        task_version=TASK_FORMAT,
    )
    samples = "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in inspect_samples(jobs))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        task_file.write_text(header + _parser_source(), encoding="utf-8")
        samples_file.write_text(samples, encoding="utf-8")
    except OSError as exc:
        raise InspectExportError(f"{folder}: cannot write the inspect task ({exc.strerror or exc})") from None
    return [task_file, samples_file]
