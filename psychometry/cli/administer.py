"""``psychometry administer INSTRUMENT [INSTRUMENT ...]``: a thin layer over :func:`psychometry.administer`."""

from __future__ import annotations

import argparse
import sys

from ..config import (
    BACKENDS,
    CHAT_TEMPLATES,
    CPU_REPACK,
    MODES,
    AnswerConfig,
    ConfigError,
    Design,
    ModelConfig,
)
from ..engine import DEFAULT_OUT
from ..orders import LABEL_STYLES
from . import _args

EXAMPLES = """\
examples:
  psychometry administer bfi44
  psychometry administer bfi44 sd3 --templates likert-plain,likert-survey --orders rotate
  psychometry administer ipip_neo120 --personas default --shape extraversion=high --out shaped.sqlite
  psychometry administer bfi44 --mode generate --temperature 0.7 --repeats 5 --grammar
  psychometry administer bfi44 --mode cloze
  psychometry administer ipd --opponents tft,grudger
  psychometry administer oejts --model ~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf --n-gpu-layers -1
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "administer",
        help="administer instruments to a language model and store every response",
        description=(
            "Administer questionnaires to a language model. Each simulated respondent is "
            "(model, persona, template, option order, repeat); every response is committed to an "
            "SQLite file as it arrives, and re-running the same command resumes. The design and the "
            "results file are checked before the model is loaded."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "instruments",
        nargs="+",
        metavar="INSTRUMENT",
        type=_args.InstrumentRef(),
        help="instrument ids (see `psychometry instruments`) or instrument YAML files",
    )
    m = p.add_argument_group("model")
    m.add_argument(
        "--model",
        metavar="PATH.gguf",
        default=None,
        type=_args.ModelFile(),
        help="GGUF model file (default: Gemma 3 270M base, Q4_K_M)",
    )
    m.add_argument(
        "--n-ctx", type=_args.int_at_least(64), default=2048, help="context window in tokens (default 2048)"
    )
    m.add_argument(
        "--threads",
        type=_args.threads,
        default=None,
        help="CPU threads, 1 to 1024, or auto (default: all cores but one)",
    )
    m.add_argument(
        "--n-gpu-layers",
        type=_args.int_at_least(-1),
        default=0,
        help="layers offloaded to the GPU (-1 = all)",
    )
    m.add_argument(
        "--chat-template",
        choices=CHAT_TEMPLATES,
        default="auto",
        help="wrap prompts in the model's chat template: auto (instruction-tuned models only), "
        "model (always) or none",
    )
    m.add_argument(
        "--cpu-repack",
        choices=CPU_REPACK,
        default=None,
        help="let llama.cpp repack weights for its CPU kernels: auto (off where the build or the CPU "
        "has AMX, whose repacked matmul crashes; on elsewhere), on, or off (default: the "
        "environment variable PSYCHOMETRY_CPU_REPACK, else auto)",
    )
    m.add_argument(
        "--batch-size",
        type=_args.positive_int,
        default=None,
        help="prompts decoded together in one batch (default: chosen from --n-ctx); results depend "
        "on it, and it is recorded in the run manifest",
    )
    d = p.add_argument_group("design")
    d.add_argument(
        "--templates",
        default="all",
        type=_args.text,
        help="all, template ids, or template YAML files, comma-separated (default all)",
    )
    d.add_argument(
        "--orders",
        default="original,reversed",
        type=_args.text,
        help="option orders: original, reversed, rotate, all, random:K, comma-separated "
        "(default original,reversed); a condition showing the same order as an earlier "
        "one (rotate0 after original) is dropped with a note",
    )
    d.add_argument(
        "--labels",
        choices=LABEL_STYLES,
        default="digits",
        help="option labels: digits 1..k, letters A.., or the anchor text (default digits)",
    )
    d.add_argument(
        "--personas",
        default="none",
        type=_args.text,
        help="none, default, or a persona YAML file (default none)",
    )
    d.add_argument(
        "--shape",
        action="append",
        default=None,
        metavar="TRAIT=LEVEL",
        type=_args.text,
        help="trait shaping, e.g. extraversion=high (levels 1-9, extremely_low..extremely_high, "
        "low|neutral|high, or all); repeatable or comma-separated",
    )
    d.add_argument(
        "--repeats",
        type=_args.int_range(1, 100_000),
        default=1,
        help="simulated respondents per condition (default 1); above 1 only with --mode generate "
        "and --temperature > 0 (otherwise the repeats would be identical)",
    )
    d.add_argument(
        "--seed",
        type=_args.seed,
        default=0,
        help="run seed (random orders, sampling, random opponents), 0 to 4294967295 (default 0)",
    )
    d.add_argument(
        "--opponents",
        default=None,
        type=_args.text,
        help="games only: the scripted opponents, comma-separated: cooperator, defector, tft, stft, "
        "tf2t, grudger, alternator, random(p) (default: each game's own list)",
    )
    d.add_argument(
        "--content-free",
        action="store_true",
        help="also administer each instrument's content-free companion (its items as \"N/A\"), for "
        "report --answers debiased --debias calibration",
    )
    a = p.add_argument_group("answers")
    a.add_argument(
        "--mode",
        choices=MODES,
        default="logprob",
        help="logprob: score the option labels as the next token (default); generate: free text; "
        "cloze: no options shown, each option text scored as the continuation (as lm-eval does)",
    )
    a.add_argument(
        "--temperature",
        type=_args.float_range(0),
        default=0.0,
        help="generate mode: sampling temperature (default 0)",
    )
    a.add_argument(
        "--max-tokens",
        type=_args.positive_int,
        default=16,
        help="generate mode: reply length limit (default 16)",
    )
    a.add_argument("--grammar", action="store_true", help="generate mode: constrain the reply to one label")
    sv = p.add_argument_group(
        "server",
        "administer through OpenAI-compatible servers (llama-server, "
        "llama-cpp-python's server, vLLM, a hosted API); --model is then "
        "the served model name (default: the first the server lists)",
    )
    sv.add_argument(
        "--backend",
        choices=BACKENDS,
        default="llama",
        help="llama: the model in-process (default); openai: OpenAI-compatible servers at --base-url",
    )
    sv.add_argument(
        "--base-url",
        action="append",
        default=None,
        metavar="URL",
        help="server URL such as http://127.0.0.1:8080/v1; repeat it to spread the work over "
        "several servers serving the same model",
    )
    sv.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="NAME",
        help="environment variable holding the API key (default OPENAI_API_KEY); the key is never stored",
    )
    sv.add_argument(
        "--concurrency",
        type=_args.positive_int,
        default=4,
        metavar="N",
        help="requests in flight per server (default 4)",
    )
    sv.add_argument(
        "--request-timeout",
        type=_args.float_range(0, inclusive=False),
        default=120.0,
        metavar="SECONDS",
        help="seconds per request before it is retried (default 120)",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--out", default=DEFAULT_OUT, type=_args.OutputFile(), help=f"results file (default {DEFAULT_OUT})"
    )
    o.add_argument(
        "--add-run",
        action="store_true",
        help="allow a different configuration to be added to an existing results file",
    )
    o.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(handler=run)


def settings(args: argparse.Namespace) -> tuple[Design, ModelConfig, AnswerConfig]:
    """The three settings objects of :func:`psychometry.administer` from the parsed flags."""
    from ..errors import PsychometryError

    if args.backend == "openai" and not args.base_url:
        raise PsychometryError("--backend openai needs --base-url (e.g. http://127.0.0.1:8080/v1)")
    if args.backend != "openai" and args.base_url:
        raise PsychometryError("--base-url is for --backend openai")
    try:
        return _settings(args)
    except ConfigError as exc:  # name the flag as well as the field
        if exc.field is None:
            raise
        flag = _FLAGS.get(exc.field, "--" + exc.field.replace("_", "-"))
        raise ConfigError(f"{flag}: {exc}", field=exc.field) from None


#: Flags whose name is not the settings field's.
_FLAGS = {"instruments": "INSTRUMENT", "label_style": "--labels", "path": "--model"}


def _settings(args: argparse.Namespace) -> tuple[Design, ModelConfig, AnswerConfig]:
    design = Design(
        instruments=args.instruments,
        templates=args.templates,
        orders=args.orders,
        personas=args.personas,
        shape=args.shape,
        repeats=args.repeats,
        seed=args.seed,
        opponents=args.opponents,
        content_free=args.content_free,
    )
    model = ModelConfig(
        path=args.model,
        n_ctx=args.n_ctx,
        n_gpu_layers=args.n_gpu_layers,
        threads=args.threads,
        chat_template=args.chat_template,
        cpu_repack=args.cpu_repack,
        batch_size=args.batch_size,
        backend=args.backend,
        base_url=tuple(args.base_url or ()),
        api_key_env=args.api_key_env,
        concurrency=args.concurrency,
        request_timeout=args.request_timeout,
    )
    answers = AnswerConfig(
        mode=args.mode,
        label_style=args.labels,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        grammar=args.grammar,
    )
    return design, model, answers


def run(args: argparse.Namespace) -> int:
    from ..engine import administer
    from .progress import ProgressLine

    design, model, answers = settings(args)
    result = administer(
        design,
        model=model,
        answers=answers,
        out=args.out,
        add_run=args.add_run,
        progress=None if args.quiet else ProgressLine,
    )
    if not args.quiet:
        print(result.summary())
        from ..report.verdicts import verdicts_text  # the findings of the run's responses, per model

        print("\n" + verdicts_text(result.results()), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    from . import main

    sys.exit(main(["administer", *sys.argv[1:]]))
