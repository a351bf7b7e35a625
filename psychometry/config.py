"""The settings of an administration, as three small frozen objects.

:func:`psychometry.administer` takes them, ``psychometry administer`` builds them from its flags, and
the run manifest stores their dict form (``design``, ``model_config``, ``answers``; see
``docs/administration.md``):

:class:`Design`
    what is asked and of whom: instruments, prompt templates, option orders, personas, trait
    shaping, repeats and the run seed.
:class:`ModelConfig`
    which model answers and how it runs: a GGUF path (or a served model name) and the settings of the
    llama.cpp backend, or an OpenAI-compatible server.
:class:`AnswerConfig`
    how an answer is read: the answer mode, the option labels and the generation settings.

Every field is checked when the object is made; a bad value raises one
:class:`~psychometry.errors.PsychometryError` line naming the field and what is allowed.
:func:`resolve_settings` turns :func:`~psychometry.administer`'s arguments into the three objects
(and the backend object, when one is given) and :func:`check_repeats` refuses repeats that would be
copies; :meth:`ModelConfig.backend_args` is what :func:`psychometry.backends.load_backend` gets.

Example
-------
>>> from psychometry import AnswerConfig, Design, ModelConfig
>>> Design("bfi44", orders="original,reversed").instruments
('bfi44',)
>>> AnswerConfig(mode="generate", temperature=0.7).generation
{'temperature': 0.7, 'max_tokens': 16, 'grammar': False}
>>> ModelConfig(path="model.gguf", n_ctx=4096).to_dict()["n_ctx"]
4096
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backends.base import CHAT_TEMPLATE_MODES, Backend
from .backends.native import REPACK_CHOICES, default_threads
from .errors import PsychometryError

if TYPE_CHECKING:
    from .instrument.model import Instrument

__all__ = [
    "BACKENDS",
    "CHAT_TEMPLATES",
    "CPU_REPACK",
    "MODES",
    "AnswerConfig",
    "Design",
    "ModelConfig",
    "Settings",
    "check_repeats",
    "resolve_settings",
]

#: Answer modes (see :mod:`psychometry.engine`).
MODES = ("logprob", "generate", "cloze")
#: Chat formatting of the prompts (``--chat-template``).
CHAT_TEMPLATES = CHAT_TEMPLATE_MODES
#: Weight repacking of llama.cpp's CPU kernels (``--cpu-repack``; None: the environment, else auto).
CPU_REPACK = REPACK_CHOICES
#: Where the model runs: ``llama`` (in-process llama.cpp) or ``openai`` (OpenAI-compatible servers).
BACKENDS = ("llama", "openai")
#: The largest seed (``--seed``): llama.cpp takes a 32-bit unsigned seed.
MAX_SEED = 2**32 - 1


class ConfigError(PsychometryError):
    """A settings object got a value its field does not allow; ``field`` names the field (None when
    the error is not about one field)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _bad(cls: str, field: str, allowed: str, value: object) -> ConfigError:
    return ConfigError(f"{cls}.{field} must be {allowed}, not {value!r}", field=field)


def _is_int(x: object) -> bool:
    return isinstance(x, numbers.Integral) and not isinstance(x, bool)


def _ints(obj: object, *names: str) -> None:
    """Whole numbers of any integer type (e.g. numpy's) stored as int, so that to_dict() is JSON."""
    for name in names:
        value = getattr(obj, name)
        if _is_int(value):
            object.__setattr__(obj, name, int(value))


def _texts(value: Any) -> Any:
    """A list spelling becomes a tuple (hashable, and one form for equal settings)."""
    if isinstance(value, Path):
        return str(value)  # a YAML file, as the CLI passes it
    if isinstance(value, str) or value is None or isinstance(value, Mapping):
        return value
    if isinstance(value, Iterable):
        return tuple(value)
    return value


def _plain(value: Any) -> Any:
    """JSON-safe form of a field value: objects are named by their ``id`` (instruments, templates,
    personas), paths become strings, tuples lists."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    ident = getattr(value, "id", None)
    return str(ident) if ident is not None else str(value)


class _Config:
    """Shared helpers: ``to_dict`` and ``from_dict``."""

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON data (what the run manifest stores)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """The settings back from :meth:`to_dict` (keys this version does not know are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class Design(_Config):
    """What is administered: the plan's factors (``docs/administration.md``).

    instruments
        Instrument ids, YAML paths or :class:`~psychometry.instrument.model.Instrument` objects
        (one or several; a single id or path may be given alone).
    templates
        ``"all"``, template ids or template YAML files (comma-separated or a list).
    orders
        Option orders: ``original``, ``reversed``, ``rotate``, ``all``, ``random:K``.
    personas
        ``"none"``, ``"default"``, a persona YAML file, or a list of personas.
    shape
        Trait shaping such as ``"extraversion=high"`` (see :mod:`psychometry.personas`).
    repeats
        Simulated respondents per (persona, template, order); above 1 only with sampling.
    seed
        Run seed (0 to 2**32 - 1): random orders, sampling seeds and random opponents derive from it.
    opponents
        Games only: the scripted opponents each game is played against (``"tft,grudger"`` or a
        list; ``psychometry.instrument.opponents``); None: each game's own list.
    content_free
        Also administer each instrument's content-free companion (``<id>~content-free``: its
        items replaced by "N/A", ``psychometry.instrument.content_free``), the input of contextual
        calibration (``load_results(..., answers="debiased", debias="calibration")``).
    """

    instruments: Any = ()
    templates: Any = "all"
    orders: Any = ("original", "reversed")
    personas: Any = "none"
    shape: Any = None
    repeats: int = 1
    seed: int = 0
    opponents: Any = None
    content_free: bool = False

    def __post_init__(self) -> None:
        _ints(self, "repeats", "seed")
        from .orders import parse_orders
        from .personas import parse_shape

        inst = self.instruments
        if isinstance(inst, (str, Path)) or not isinstance(inst, Iterable):
            inst = (inst,)
        inst = tuple(inst)
        if not inst:
            raise ConfigError(
                "Design.instruments must name at least one instrument (an id, a YAML file or an Instrument)",
                field="instruments",
            )
        for x in inst:
            if not (isinstance(x, (str, Path)) and str(x).strip()) and not hasattr(x, "items"):
                raise _bad("Design", "instruments", "instrument ids, YAML files or Instrument objects", x)
        object.__setattr__(self, "instruments", inst)
        object.__setattr__(self, "templates", _texts(self.templates))
        object.__setattr__(self, "orders", _texts(self.orders))
        object.__setattr__(self, "personas", _texts(self.personas))
        object.__setattr__(self, "shape", _texts(self.shape))
        if not isinstance(self.content_free, bool):
            raise _bad("Design", "content_free", "True or False", self.content_free)
        if self.opponents is not None:
            object.__setattr__(self, "opponents", _texts(self.opponents))
            from .instrument.opponents import parse_opponent

            if not isinstance(self.opponents, (str, tuple)):
                raise _bad("Design", "opponents", "opponent specs such as tft,grudger", self.opponents)
            specs = self.opponents.split(",") if isinstance(self.opponents, str) else self.opponents
            try:
                for spec in specs:
                    parse_opponent(spec)
            except PsychometryError as exc:
                raise ConfigError(f"Design.opponents: {exc}", field="opponents") from None
        if not _is_int(self.repeats) or self.repeats < 1:
            raise _bad("Design", "repeats", "a positive integer", self.repeats)
        if not _is_int(self.seed) or not 0 <= self.seed <= MAX_SEED:
            raise _bad("Design", "seed", f"an integer from 0 to {MAX_SEED}", self.seed)
        if not isinstance(self.templates, (str, Path, tuple)):
            raise _bad("Design", "templates", '"all", template ids or template YAML files', self.templates)
        if not isinstance(self.orders, (str, tuple)):
            raise _bad("Design", "orders", "original, reversed, rotate, all or random:K", self.orders)
        for name, check in (("orders", parse_orders), ("shape", parse_shape)):
            try:
                check(getattr(self, name))
            except PsychometryError as exc:
                raise ConfigError(f"Design.{name}: {exc}", field=name) from None

    def load_instruments(self) -> list[Instrument]:
        """The :class:`~psychometry.instrument.model.Instrument` objects of :attr:`instruments` (ids
        and YAML files loaded; Instrument objects as they are), then, with :attr:`content_free`, each
        one's content-free companion."""
        from .instrument.load import load_instrument
        from .instrument.model import Instrument

        insts = [x if isinstance(x, Instrument) else load_instrument(str(x)) for x in self.instruments]
        if self.content_free:
            from .instrument.content_free import content_free_instrument

            insts += [content_free_instrument(i) for i in insts if i.game is None]
        return insts


@dataclass(frozen=True)
class ModelConfig(_Config):
    """The model and how it runs.

    path
        The GGUF file of the in-process llama.cpp backend (None: the default model), or with
        ``backend="openai"`` the served model name (None: the first the server lists).
    n_ctx, n_gpu_layers, threads, cpu_repack, batch_size
        llama.cpp settings: context window (>= 64 tokens), layers offloaded to the GPU (-1: all),
        CPU threads (None: all cores but one), weight repacking (``auto``, ``on``, ``off``; None:
        ``PSYCHOMETRY_CPU_REPACK``, else auto) and prompts decoded together (None: chosen from
        ``n_ctx``; results depend on it).
    chat_template
        ``auto`` (instruction-tuned models only), ``model`` (always) or ``none``.
    backend
        ``llama`` (in-process) or ``openai`` (OpenAI-compatible servers at ``base_url``).
    base_url, api_key_env, concurrency, request_timeout
        ``backend="openai"``: server URLs, the environment variable holding the API key (never
        stored), requests in flight per server and seconds per request.
    """

    path: str | Path | None = None
    n_ctx: int = 2048
    n_gpu_layers: int = 0
    threads: int | None = None
    chat_template: str = "auto"
    cpu_repack: str | None = None
    batch_size: int | None = None
    backend: str = "llama"
    base_url: tuple[str, ...] = ()
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 4
    request_timeout: float = 120.0

    def __post_init__(self) -> None:
        _ints(self, "n_ctx", "n_gpu_layers", "threads", "batch_size", "concurrency")
        if self.path is not None and not (isinstance(self.path, (str, Path)) and str(self.path).strip()):
            raise _bad(
                "ModelConfig",
                "path",
                "a GGUF file, a served model name or None (the default model)",
                self.path,
            )
        if not _is_int(self.n_ctx) or self.n_ctx < 64:
            raise _bad("ModelConfig", "n_ctx", "an integer >= 64", self.n_ctx)
        if not _is_int(self.n_gpu_layers) or self.n_gpu_layers < -1:
            raise _bad("ModelConfig", "n_gpu_layers", "an integer >= -1 (-1: all layers)", self.n_gpu_layers)
        if self.threads is not None and (not _is_int(self.threads) or not 1 <= self.threads <= 1024):
            raise _bad(
                "ModelConfig",
                "threads",
                "an integer from 1 to 1024 or None (all cores but one)",
                self.threads,
            )
        if self.chat_template not in CHAT_TEMPLATES:
            raise _bad("ModelConfig", "chat_template", " or ".join(CHAT_TEMPLATES), self.chat_template)
        if self.cpu_repack is not None and self.cpu_repack not in CPU_REPACK:
            raise _bad("ModelConfig", "cpu_repack", "auto, on, off or None", self.cpu_repack)
        if self.batch_size is not None and (not _is_int(self.batch_size) or self.batch_size < 1):
            raise _bad(
                "ModelConfig", "batch_size", "a positive integer or None (chosen from n_ctx)", self.batch_size
            )
        if self.backend not in BACKENDS:
            raise _bad("ModelConfig", "backend", " or ".join(BACKENDS), self.backend)
        urls = (self.base_url,) if isinstance(self.base_url, str) else self.base_url
        if not isinstance(urls, Iterable) or not all(isinstance(u, str) and u.strip() for u in urls):
            raise _bad(
                "ModelConfig", "base_url", "server URLs such as http://127.0.0.1:8080/v1", self.base_url
            )
        object.__setattr__(self, "base_url", tuple(urls))
        if self.backend == "openai" and not self.base_url:
            raise ConfigError(
                "ModelConfig.base_url must name a server (e.g. http://127.0.0.1:8080/v1) with backend='openai'",
                field="base_url",
            )
        if self.backend == "llama" and self.base_url:
            raise ConfigError(
                "ModelConfig.base_url is for backend='openai', not for the in-process llama backend",
                field="base_url",
            )
        if self.backend == "openai" and (
            not isinstance(self.api_key_env, str) or not self.api_key_env.strip()
        ):
            raise _bad("ModelConfig", "api_key_env", "the name of an environment variable", self.api_key_env)
        if not _is_int(self.concurrency) or self.concurrency < 1:
            raise _bad("ModelConfig", "concurrency", "a positive integer", self.concurrency)
        timeout = self.request_timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not (math.isfinite(timeout) and timeout > 0)
        ):
            raise _bad("ModelConfig", "request_timeout", "a finite number of seconds > 0", timeout)

    def backend_args(self, *, seed: int) -> tuple[str, str | Path | None, dict[str, Any]]:
        """``(name, model, options)`` for :func:`psychometry.backends.load_backend`: the backend
        this configuration describes (llama.cpp in-process, or OpenAI-compatible servers)."""
        if self.backend == "openai":
            return (
                "openai",
                None if self.path is None else str(self.path),
                {
                    "base_urls": list(self.base_url),
                    "api_key_env": self.api_key_env,
                    "concurrency": self.concurrency,
                    "request_timeout": self.request_timeout,
                    "seed": seed,
                    "chat": "auto" if self.chat_template == "auto" else self.chat_template == "model",
                },
            )
        return (
            "llama",
            self.path,
            {
                "n_ctx": self.n_ctx,
                "n_threads": self.threads if self.threads is not None else default_threads(),
                "n_gpu_layers": self.n_gpu_layers,
                "seed": seed,
                "chat_template": self.chat_template,
                "cpu_repack": self.cpu_repack,
                "batch_size": self.batch_size,
            },
        )


@dataclass(frozen=True)
class AnswerConfig(_Config):
    """How answers are asked for and read (``docs/administration.md``, "Answer modes").

    mode
        ``logprob`` (score the option labels as the next token), ``generate`` (free text) or
        ``cloze`` (no options shown; each option text scored as the continuation of the item, as
        lm-evaluation-harness scores a multiple-choice task: ``docs/administration.md``).
    label_style
        ``digits`` (1..k), ``letters`` (A..) or ``anchors`` (the option text).
    temperature, max_tokens, grammar
        Generate mode: sampling temperature (>= 0; 0 is greedy), reply length limit, and whether
        the reply is constrained to one label. Ignored in logprob mode.
    """

    mode: str = "logprob"
    label_style: str = "digits"
    temperature: float = 0.0
    max_tokens: int = 16
    grammar: bool = False

    def __post_init__(self) -> None:
        _ints(self, "max_tokens")
        from .orders import LABEL_STYLES

        if self.mode not in MODES:
            raise _bad("AnswerConfig", "mode", ", ".join(MODES[:-1]) + " or " + MODES[-1], self.mode)
        if self.label_style not in LABEL_STYLES:
            raise _bad("AnswerConfig", "label_style", ", ".join(LABEL_STYLES), self.label_style)
        t = self.temperature
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not (math.isfinite(t) and t >= 0):
            raise _bad("AnswerConfig", "temperature", "a finite number >= 0", t)
        if not _is_int(self.max_tokens) or self.max_tokens < 1:
            raise _bad("AnswerConfig", "max_tokens", "a positive integer", self.max_tokens)
        if not isinstance(self.grammar, bool):
            raise _bad("AnswerConfig", "grammar", "True or False", self.grammar)
        if self.grammar and self.mode == "cloze":
            raise ConfigError(
                "AnswerConfig.grammar constrains a generated reply to one label; cloze mode generates no "
                "reply, it scores each option text as a continuation (use --mode generate, or leave out --grammar)",
                field="grammar",
            )

    @property
    def generation(self) -> dict[str, Any]:
        """The generation settings that enter the response ids (empty in logprob mode)."""
        if self.mode != "generate":
            return {}
        return {
            "temperature": float(self.temperature),
            "max_tokens": int(self.max_tokens),
            "grammar": self.grammar,
        }


# ------------------------------------------------------------------------ administer()'s arguments
@dataclass(frozen=True)
class Settings:
    """One administration's settings, resolved from :func:`psychometry.administer`'s arguments."""

    design: Design
    model: ModelConfig
    answers: AnswerConfig
    backend: Backend | None  # None: the engine opens the backend ``model`` describes


def _is_backend(model: object) -> bool:
    """A backend object (the engine needs its ``info`` and ``format_chat``; see
    :class:`~psychometry.backends.base.Backend`) rather than a path or a :class:`ModelConfig`."""
    return hasattr(model, "info") and callable(getattr(model, "format_chat", None))


def resolve_settings(design: Any, model: Any, answers: Any) -> Settings:
    """The settings objects of :func:`psychometry.administer`'s ``design``, ``model`` and
    ``answers`` (instrument ids for the default design, a GGUF path, a backend object, None for
    the defaults); anything else is a :class:`ConfigError`."""
    if not isinstance(design, Design):
        if design is None:
            raise ConfigError("administer() needs a Design or instrument ids, e.g. administer('bfi44')")
        design = Design(instruments=design)
    backend: Backend | None = None
    if _is_backend(model):
        backend, model = model, None
    if isinstance(model, ModelConfig):
        config = model
    elif model is None or isinstance(model, (str, Path)):
        config = ModelConfig(path=model)
    else:
        raise ConfigError(
            f"administer(): model must be a ModelConfig, a GGUF path or a backend "
            f"(psychometry.backends.base.Backend), not {type(model).__name__}"
        )
    if answers is None:
        answers = AnswerConfig()
    elif not isinstance(answers, AnswerConfig):
        raise ConfigError(f"administer(): answers must be an AnswerConfig, not {type(answers).__name__}")
    return Settings(design=design, model=config, answers=answers, backend=backend)


def check_repeats(design: Design, answers: AnswerConfig) -> None:
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
