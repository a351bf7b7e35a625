"""The administration plan: every (persona, repeat, template, instrument, order, item) job.

A *simulated respondent* is one combination (model, persona, template, option order, repeat);
it answers every item of every instrument once. Its id (:meth:`Job.respondent`) is
``model/persona/template/order/repeat/tag``, where the tag (:func:`respondent_tag`) is a short hash of
the settings that change the answers without appearing in the id (model sha256, answer mode, label
style, seed, generation settings, chat formatting, persona and template texts): two runs in one file
that differ only there get distinct respondents. The plan is the cross product

    jobs = personas x repeats x templates(for the instrument's response type) x orders x items

so its size is ``sum over instruments of items x templates x orders x personas x repeats``.

Jobs are generated in the loop order persona -> repeat -> template -> instrument -> order -> item:
consecutive prompts then differ only in their last, item-specific part, so a batch of consecutive
jobs (the engine's fixed chunks of the plan) shares a long prefix that the backend decodes once.

The engine administers *episodes* (:class:`Episode`): an episode says, from what it has been
answered so far, which request(s) come next. A questionnaire item is the one-step episode
:class:`FixedPrompt` (its one job, then nothing); a stateful game is another episode type, asking
its next turn from the replies before. A job keeps its conversation (:attr:`Job.messages`: the
persona as system prompt, the rendered item as user message) beside the prompt text the backend's
chat formatting makes of it (:func:`format_jobs`).

Each job carries a deterministic ``response_id`` (:func:`response_id`): the sha256 of everything
that defines the response (model sha/name, instrument id and content hash, item, template id and
text hash, order and its permutation, persona id and text hash, repeat, mode, label style, seed,
the exact prompt, and the generation settings). It is the store's primary key, so re-running the
same command resumes instead of duplicating.

Example
-------
>>> from psychometry.plan import build_plan  # doctest: +SKIP
>>> len(build_plan([bfi44], templates="all", orders="original,reversed"))  # doctest: +SKIP
264
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import PsychometryError
from .instrument.export import lm_eval_docs
from .instrument.model import Instrument, Item, fmt_value
from .instrument.opponents import OpponentError, draw, parse_opponent
from .orders import Order, OrderDesign, design_orders, parse_orders
from .personas import Persona, load_personas
from .templates import Template, item_options, join_labels, load_templates, render_item


class DesignLike(Protocol):
    """The plan's factors of a :class:`psychometry.config.Design` (the plan does not import the
    settings layer above it)."""

    @property
    def templates(self) -> Any: ...
    @property
    def orders(self) -> Any: ...
    @property
    def personas(self) -> Any: ...
    @property
    def shape(self) -> Any: ...
    @property
    def repeats(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def opponents(self) -> Any: ...


__all__ = [
    "Episode",
    "FixedPrompt",
    "Followup",
    "GameEpisode",
    "GameTurn",
    "Job",
    "PlanError",
    "Turn",
    "TwoTurnEpisode",
    "build_plan",
    "cloze_jobs",
    "episodes",
    "fmt_value",
    "format_jobs",
    "instrument_hash",
    "job_seed",
    "order_notes",
    "plain_format",
    "plan_jobs",
    "respondent_tag",
    "response_id",
    "turn_fields",
]


class PlanError(PsychometryError):
    """The plan cannot be built (e.g. no template for an instrument's response type)."""


def plain_format(system: str | None, user: str) -> str:
    """The raw completion prompt a base model gets: ``system + "\\n\\n" + user`` (or ``user``)."""
    return f"{system.strip()}\n\n{user}" if system else user


def instrument_hash(instrument: Instrument) -> str:
    """sha256 of the instrument's content (every dataclass field except the file path).

    ``kind`` enters only when it is not the default ``inventory``, so questionnaire hashes (and the
    run ids and response ids built on them) are the same as before the field existed.
    """
    data = dataclasses.asdict(instrument)
    data.pop("path", None)
    if data.get("kind") == "inventory":
        data.pop("kind")
    if data.get("game") is None:
        data.pop("game", None)
    if not data.get("followup"):
        data.pop("followup", None)
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Job:
    """One prompt to administer: a simulated respondent answering one item."""

    instrument: Instrument
    item: Item
    template: Template
    order: Order
    persona: Persona
    repeat: int
    prompt: str
    labels: tuple[str, ...]
    shown_values: tuple[float, ...]
    instrument_hash: str
    system: str | None = None
    user: str = ""
    game: GameTurn | None = None
    followup: Followup | None = None

    @property
    def messages(self) -> list[dict[str, str]]:
        """The conversation the prompt is made of: the system prompt (persona) when there is one,
        the turns before (a follow-up's first question and the model's answer), then the rendered
        item or follow-up as the user message (``[{"role": ..., "content": ...}]``)."""
        messages = [{"role": "system", "content": self.system}] if self.system else []
        if self.followup is not None:
            messages += [{"role": r, "content": c} for r, c in self.followup.context]
        messages.append({"role": "user", "content": self.user})
        return messages

    @property
    def anchors(self) -> tuple[str, ...] | None:
        """The option texts in shown order for likert items (a generated reply may name one), else
        None."""
        if self.instrument.response_format.type != "likert":
            return None
        texts, _ = item_options(self.instrument, self.item)
        return tuple(self.order.apply(texts))

    @property
    def prompt_hash(self) -> str:
        return hashlib.sha256(self.prompt.encode("utf-8")).hexdigest()

    def respondent(self, model: str, tag: str | None = None) -> str:
        """``model/persona/template/order/repeat/tag``: the simulated respondent's id.

        ``tag`` is :func:`respondent_tag`; without it (files written before respondent tags, see
        :mod:`psychometry.store`) the id is ``model/persona/template/order/repeat``.
        """
        rid = f"{model}/{self.persona.id}/{self.template.id}/{self.order.name}/{self.repeat}"
        return f"{rid}/{tag}" if tag else rid

    @property
    def shown_values_text(self) -> str:
        return ",".join(fmt_value(v) for v in self.shown_values)


def _as_list(x) -> list:
    if isinstance(x, (str, bytes)) or not isinstance(x, Iterable):
        return [x]
    return list(x)


def build_plan(
    instruments: Instrument | Sequence[Instrument],
    *,
    templates: str | Iterable = "all",
    orders: str | Iterable[str] = ("original", "reversed"),
    personas: str | Iterable[Persona] | None = "none",
    shape=None,
    repeats: int = 1,
    label_style: str = "digits",
    seed: int = 0,
    format_chat: Callable[[str | None, str], str] | None = None,
    opponents: str | Iterable[str] | None = None,
    cloze: bool = False,
) -> list[Job]:
    """All jobs of a run, in KV-cache-friendly order (see the module docstring).

    ``templates``/``personas`` accept the CLI spellings (``"all"``, ids, files) or objects;
    ``format_chat`` wraps (system, user) into the model's prompt (default :func:`plain_format`,
    what a base model gets). A game (``kind: game``) contributes the first round of each of its
    games, one per opponent (``opponents``: specs such as ``tft,grudger``; None: the game's own),
    after the item loop: :class:`GameEpisode` asks the later rounds.

    ``cloze``: each item's prompt is its lm-eval export query (no options shown) and its labels are
    the option texts as continuations (``" " + text``): :func:`cloze_jobs`; templates and option
    orders do not apply (the engine's run note says so).
    """
    insts = _as_list(instruments)
    if not insts:
        raise PlanError("no instrument to administer")
    if not isinstance(repeats, int) or repeats < 1:
        raise PlanError(f"repeats must be a positive integer, not {repeats!r}")
    ids = [i.id for i in insts]
    if len(set(ids)) != len(ids):
        raise PlanError(f"instrument given twice: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}")
    if isinstance(templates, (list, tuple)) and templates and all(isinstance(t, Template) for t in templates):
        tmpl = list(templates)
    else:
        tmpl = load_templates(templates)
    pers = load_personas(personas, shape=shape)
    order_spec = parse_orders(orders)
    fmt = format_chat or plain_format
    chosen = _opponents(insts, opponents)
    if cloze:
        return cloze_jobs(insts, load_personas(personas, shape=shape), repeats, fmt)

    per_inst: list[tuple[Instrument, list[Template], str]] = []
    for inst in insts:
        rtype = inst.response_format.type
        ts = [t for t in tmpl if t.response_type == rtype]
        if not ts:
            raise PlanError(
                f"{inst.id}: no prompt template for response type '{rtype}' among "
                f"{', '.join(t.id for t in tmpl)} (add a {rtype} template or use --templates all)"
            )
        per_inst.append((inst, ts, instrument_hash(inst)))

    design_cache: dict[tuple[tuple[str, ...], frozenset[int]], OrderDesign] = {}

    def orders_for(inst: Instrument) -> OrderDesign:
        # one set of conditions per instrument, administered to every item (choice items may
        # differ in their number of options; see psychometry.orders.design_orders); a number
        # answer has no options to order: it is asked once, as original (order_notes says so)
        counts = frozenset(len(item_options(inst, it)[1]) for it in inst.items)
        spec = ("original",) if inst.response_format.type == "number" else order_spec
        if (spec, counts) not in design_cache:
            design_cache[spec, counts] = design_orders(spec, counts, seed=seed)
        return design_cache[spec, counts]

    used_templates = {t.id for _, ts, _ in per_inst for t in ts}
    jobs: list[Job] = []
    for persona in pers:
        for rep in range(repeats):
            for t in (t for t in tmpl if t.id in used_templates):
                for inst, ts, ihash in per_inst:
                    if t not in ts:
                        continue
                    design = orders_for(inst)
                    for oi in range(len(design.names)):
                        for item, turn in _first_items(inst, chosen, seed, rep):
                            order = design.orders(len(item_options(inst, item)[1]))[oi]
                            job = Job(
                                instrument=inst,
                                item=item,
                                template=t,
                                order=order,
                                persona=persona,
                                repeat=rep,
                                prompt="",
                                labels=(),
                                shown_values=(),
                                instrument_hash=ihash,
                                game=turn,
                            )
                            jobs.append(_rendered(job, label_style, fmt))
    return jobs


def _rendered(job: Job, label_style: str, fmt: Callable[[str | None, str], str]) -> Job:
    """``job`` with its prompt, labels and shown values rendered from its template and item."""
    r = render_item(
        job.template,
        job.instrument,
        job.item,
        job.order,
        label_style=label_style,
        persona_text=job.persona.text,
    )
    return dataclasses.replace(
        job,
        prompt=fmt(r.system, r.user),
        labels=r.labels,
        shown_values=r.shown_values,
        system=r.system,
        user=r.user,
    )


#: The template of cloze mode: the lm-eval export's query (psychometry.instrument.export.lm_eval_docs).
CLOZE = Template(
    id="cloze",
    response_type="any",
    system="{persona}",
    user="{lm-eval query}",
    description="cloze mode: the lm-eval export's query, no options shown; each option text is scored "
    "as the continuation",
)


def cloze_jobs(
    instruments: Sequence[Instrument],
    personas: Sequence[Persona],
    repeats: int,
    fmt: Callable[[str | None, str], str] = plain_format,
) -> list[Job]:
    """The jobs of cloze mode: per persona, repeat, instrument and item, the lm-eval export's query
    (:func:`psychometry.instrument.export.lm_eval_docs`: the same text lm-eval gets) as the user
    message, the persona as system prompt, and the option texts with lm-eval's target delimiter
    (``" " + text``) as labels, in the instrument's order (``original``)."""
    jobs = []
    for inst in instruments:
        if inst.game is not None:
            raise PlanError(
                f"{inst.id} is a game: its rounds are answered by choosing an action (--mode logprob or "
                "generate); --mode cloze scores the option texts of questionnaire and task items"
            )
    for persona in personas:
        for rep in range(repeats):
            for inst in instruments:
                ihash = instrument_hash(inst)
                for doc in lm_eval_docs(inst):
                    item = inst.item(doc["item"])
                    system = persona.text.strip() or None
                    jobs.append(
                        Job(
                            instrument=inst,
                            item=item,
                            template=CLOZE,
                            order=Order("original", tuple(range(len(doc["choices"])))),
                            persona=persona,
                            repeat=rep,
                            prompt=fmt(system, doc["query"]),
                            labels=tuple(" " + str(c) for c in doc["choices"]),
                            shown_values=tuple(float(v) for v in doc["values"]),
                            instrument_hash=ihash,
                            system=system,
                            user=doc["query"],
                        )
                    )
    return jobs


def _opponents(insts: Sequence[Instrument], opponents: str | Iterable[str] | None) -> tuple[str, ...] | None:
    """The opponent specs of the design (None: each game's own), checked."""
    if opponents is None:
        return None
    specs = [s.strip() for s in (opponents.split(",") if isinstance(opponents, str) else opponents)]
    if not [s for s in specs if s]:
        raise PlanError("--opponents: no opponent given (e.g. --opponents tft,grudger)")
    if not any(i.game is not None for i in insts):
        raise PlanError(
            f"--opponents applies to games only; {', '.join(i.id for i in insts)} "
            f"{'is not a game' if len(insts) == 1 else 'are not games'} (shipped games: ipd)"
        )
    try:
        parsed = [parse_opponent(s).spec for s in specs if s]
    except OpponentError as exc:
        raise PlanError(f"--opponents: {exc}") from None
    if len(set(parsed)) != len(parsed):
        raise PlanError(f"--opponents: {next(p for p in parsed if parsed.count(p) > 1)} is given twice")
    return tuple(parsed)


def _first_items(
    inst: Instrument, opponents: tuple[str, ...] | None, seed: int, repeat: int
) -> list[tuple[Item, GameTurn | None]]:
    """The items a plan asks first: every item of a questionnaire; the first round of a game
    against each opponent."""
    if inst.game is None:
        return [(item, None) for item in inst.items]
    return [
        (_round_item(inst, 1, ()), _turn(inst, spec, 1, (), seed, repeat))
        for spec in (opponents or inst.game.opponents)
    ]


def plan_jobs(
    instruments: Sequence[Instrument],
    design: DesignLike,
    *,
    label_style: str = "digits",
    format_chat: Callable[[str | None, str], str] | None = None,
    cloze: bool = False,
) -> list[Job]:
    """The jobs of a :class:`~psychometry.config.Design` (its templates, orders, personas, shape,
    repeats and seed) for the resolved ``instruments`` (:func:`build_plan`; prompts in plain
    formatting unless ``format_chat`` is given, see :func:`format_jobs`; ``cloze``: cloze mode)."""
    return build_plan(
        instruments,
        templates=design.templates,
        orders=design.orders,
        personas=design.personas,
        shape=design.shape,
        repeats=design.repeats,
        label_style=label_style,
        seed=design.seed,
        format_chat=format_chat,
        opponents=design.opponents,
        cloze=cloze,
    )


def format_jobs(jobs: Sequence[Job], format_messages: Callable[[list[dict[str, str]]], str]) -> list[Job]:
    """The jobs with their prompts made by ``format_messages`` from their conversations
    (:attr:`Job.messages`; the backend's chat formatting), everything else unchanged."""
    return [dataclasses.replace(j, prompt=format_messages(j.messages)) for j in jobs]


# --------------------------------------------------------------------------- episodes
@dataclass(frozen=True)
class Turn:
    """One answered request of an episode: the job, its response id, and its stored row (the
    columns of ``psychometry.store.COLUMNS``; None when the backend returned nothing for it, or
    for a fixed prompt that an earlier session stored: nothing comes after it)."""

    job: Job
    response_id: str
    fields: Mapping[str, Any] | None = None


class Episode(Protocol):
    """What the engine administers: a sequence of requests, each chosen from the answers before."""

    def next_requests(self, history: Sequence[Turn]) -> Sequence[Job]:
        """The request(s) to administer next, given this episode's answered requests so far (in
        order); none when the episode is over."""
        ...


@dataclass(frozen=True)
class FixedPrompt:
    """A one-step episode: one fixed prompt (a questionnaire item), then nothing."""

    job: Job

    def next_requests(self, history: Sequence[Turn]) -> Sequence[Job]:
        return () if history else (self.job,)


@dataclass(frozen=True)
class Followup:
    """The second turn of a two-turn item: the conversation before it (the first question and the
    model's answer, as ``(role, content)`` pairs) and the shown position of that first answer."""

    context: tuple[tuple[str, str], ...]
    first_position: int


@dataclass(frozen=True)
class TwoTurnEpisode:
    """A two-turn item (an instrument with ``followup``: sycophancy): the item, then, when its answer
    was read, the follow-up (the user's pushback) with the model's own first answer in the
    conversation, in the chat format the backend uses (``format_messages``). The first answer is
    the chosen label in logprob mode and the reply in generate mode. No follow-up after an unread
    answer: there is nothing to push back on."""

    first: Job
    format_messages: Callable[[list[dict[str, str]]], str]

    def next_requests(self, history: Sequence[Turn]) -> Sequence[Job]:
        if not history:
            return (self.first,)
        fields = history[-1].fields or {}
        if len(history) > 1 or fields.get("status") != "ok" or fields.get("position") is None:
            return ()
        position = int(fields["position"])
        reply = fields.get("raw_text")
        generated = fields.get("mode") == "generate" and reply
        answer = str(reply).strip() if generated else self.first.labels[position - 1]
        labels = self.first.labels
        user = self.first.instrument.followup.format(
            labels=join_labels(labels), first=labels[0], last=labels[-1]
        )
        job = dataclasses.replace(
            self.first,
            user=user,
            followup=Followup(
                context=(("user", self.first.user), ("assistant", answer)), first_position=position
            ),
        )
        return (dataclasses.replace(job, prompt=self.format_messages(job.messages)),)


@dataclass(frozen=True)
class GameTurn:
    """Where a game's request stands: the ``opponent`` (its spec), the ``round`` (1-based), the
    opponent's action in this round (fixed before the model answers: the moves are simultaneous),
    and the ``moves`` of the rounds before as ``(model's action, opponent's action)`` ids."""

    opponent: str
    round: int
    opponent_action: str
    moves: tuple[tuple[str, str], ...] = ()


def _turn(
    inst: Instrument, spec: str, k: int, moves: tuple[tuple[str, str], ...], seed: int, repeat: int
) -> GameTurn:
    """Round ``k`` of ``inst`` against ``spec`` after ``moves``. The opponent's random draw depends on
    the run seed, game, opponent, repeat and round alone, so every persona, template and order
    condition meets the same random opponent (common random numbers)."""
    u = draw(int(seed), inst.id, spec, repeat, k)
    action = parse_opponent(spec).move([m for m, _ in moves], round=k, u=u)
    return GameTurn(opponent=spec, round=k, opponent_action=action, moves=moves)


def _round_item(inst: Instrument, k: int, moves: tuple[tuple[str, str], ...]) -> Item:
    """Round ``k``'s item: its text is the game's ``round`` text with the history of ``moves``."""
    g = inst.game
    assert g is not None
    lines = []
    for r, (mine, theirs) in enumerate(moves, start=1):
        pay, opp_pay = g.payoff(mine, theirs)
        lines.append(
            g.history.format(
                round=r,
                action=g.action(mine).text,
                opponent_action=g.action(theirs).text,
                payoff=fmt_value(pay),
                opponent_payoff=fmt_value(opp_pay),
            )
        )
    history = "\n".join(lines) if lines else g.no_history
    text = g.round.format(round=k, rounds=g.rounds, history=history).strip()
    return dataclasses.replace(inst.items[k - 1], text=text)


@dataclass(frozen=True)
class GameEpisode:
    """A repeated game against one scripted opponent: round 1 (``first``), then round k+1 built
    from rounds 1..k as they were answered and stored, until the last round or a round whose
    answer was not read (an unparsed or refused reply ends the game; no action is made up).

    ``label_style`` and ``seed`` are the run's; ``format_messages`` makes a prompt of a
    conversation (the backend's chat formatting).
    """

    first: Job
    label_style: str
    seed: int
    format_messages: Callable[[list[dict[str, str]]], str]

    def next_requests(self, history: Sequence[Turn]) -> Sequence[Job]:
        if not history:
            return (self.first,)
        g, turn = self.first.instrument.game, history[-1].job.game
        assert g is not None and turn is not None
        fields = history[-1].fields or {}
        if turn.round >= g.rounds or fields.get("action") is None:
            return ()
        moves = (*turn.moves, (str(fields["action"]), turn.opponent_action))
        k = turn.round + 1
        job = dataclasses.replace(
            self.first,
            item=_round_item(self.first.instrument, k, moves),
            game=_turn(self.first.instrument, turn.opponent, k, moves, self.seed, self.first.repeat),
        )
        job = _rendered(job, self.label_style, plain_format)
        return (dataclasses.replace(job, prompt=self.format_messages(job.messages)),)


def turn_fields(job: Job, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The game columns of an answered request (``{}`` for a questionnaire item): ``round``,
    ``opponent``, ``opponent_action``, and, when the answer was read, the model's ``action`` (the
    chosen option: the most probable one in logprob mode, ties to the option shown first) and its
    ``payoff``. A two-turn item: ``round`` 1 or 2 (the turn), and on turn 2 ``action`` ``kept`` or
    ``flipped`` (the answer after the pushback against the first one)."""
    if job.followup is not None:  # the second turn of a two-turn item: did the answer change?
        second: dict[str, Any] = {"round": 2}
        if fields.get("status") == "ok" and fields.get("position") is not None:
            second["action"] = "kept" if int(fields["position"]) == job.followup.first_position else "flipped"
        return second
    if job.instrument.followup and job.template.id != "cloze":
        return {"round": 1}
    turn, g = job.game, job.instrument.game
    if turn is None or g is None:
        return {}
    out: dict[str, Any] = {
        "round": turn.round,
        "opponent": turn.opponent,
        "opponent_action": turn.opponent_action,
    }
    if fields.get("status") == "ok" and fields.get("position") is not None:
        action = g.actions[job.order.perm[int(fields["position"]) - 1]].id
        out.update(action=action, payoff=g.payoff(action, turn.opponent_action)[0])
    return out


def episodes(
    jobs: Sequence[Job],
    *,
    label_style: str = "digits",
    seed: int = 0,
    format_messages: Callable[[list[dict[str, str]]], str] | None = None,
) -> list[Episode]:
    """The episodes of a plan, in plan order: a :class:`FixedPrompt` per questionnaire job, a
    :class:`GameEpisode` per game's first round and a :class:`TwoTurnEpisode` per two-turn item
    (whose later prompts ``format_messages`` makes, default :func:`plain_format`)."""
    fmt = format_messages or (lambda messages: plain_format(*_system_user(messages)))
    out: list[Episode] = []
    for j in jobs:
        if j.game is not None:
            out.append(GameEpisode(j, label_style, seed, fmt))
        elif j.instrument.followup and j.template.id != "cloze":
            out.append(TwoTurnEpisode(j, fmt))
        else:
            out.append(FixedPrompt(j))
    return out


def _system_user(messages: Sequence[Mapping[str, str]]) -> tuple[str | None, str]:
    system = next((m["content"] for m in messages if m["role"] == "system"), None)
    return system, next(m["content"] for m in messages if m["role"] == "user")


def response_id(
    job: Job, *, model_key: str, mode: str, label_style: str, seed: int, generation: dict | None = None
) -> str:
    """The deterministic primary key of a response: sha256 (first 32 hex digits) of
    model, instrument id + hash, item, template id + text hash, order name + permutation,
    persona id + text hash, repeat, mode, label style, seed, prompt hash and (generate mode)
    the generation settings."""
    payload = json.dumps(
        [
            model_key,
            job.instrument.id,
            job.instrument_hash,
            job.item.id,
            job.template.id,
            job.template.text_hash,
            job.order.name,
            list(job.order.perm),
            job.persona.id,
            job.persona.text_hash,
            job.repeat,
            mode,
            label_style,
            int(seed),
            job.prompt_hash,
            generation or {},
            *([job.game.opponent, job.game.round] if job.game is not None else []),
            *(["turn", 2, job.followup.context[-1][1]] if job.followup is not None else []),
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


def respondent_tag(
    job: Job,
    *,
    model_key: str,
    mode: str,
    label_style: str,
    seed: int,
    generation: dict | None = None,
    chat: str = "",
) -> str:
    """The last part of a respondent id: 8 hex digits of the sha256 of the settings that change a
    respondent's answers but are not spelled out in its id: the model's sha256 (``model_key``), the
    answer mode, label style, seed, generation settings, the effective chat formatting (``chat``:
    ``model``/``none`` as the backend reports it), and the persona and template texts.

    It is a function of what :func:`response_id` hashes (never of the instrument or item), so a
    respondent keeps one id across instruments, and a response shared by two runs of a file has
    the same respondent id in both.
    """
    payload = json.dumps(
        [
            model_key,
            mode,
            label_style,
            int(seed),
            generation or {},
            chat,
            job.persona.text_hash,
            job.template.text_hash,
        ],
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:8]


def order_notes(
    instruments: Instrument | Sequence[Instrument], orders: str | Iterable[str], *, seed: int = 0
) -> list[str]:
    """One line per instrument that has order conditions which are not administered: conditions
    of ``orders`` that show every item of the instrument in the same order as an earlier
    condition, so that their respondent would be a copy of the earlier one
    (:func:`psychometry.orders.design_orders`). A condition that repeats an earlier order on some
    items only is administered and not noted.

    >>> order_notes([bfi44], "original,rotate")  # doctest: +SKIP
    ['bfi44: rotate0 shows every item in the same order as original (a copy of that respondent); not administered']
    """
    spec = parse_orders(orders)
    notes = []
    for inst in _as_list(instruments):
        if inst.response_format.type == "number":
            if spec != ("original",):
                notes.append(
                    f"{inst.id}: option orders do not apply to number answers; asked once, as original"
                )
            continue
        counts = {len(item_options(inst, item)[1]) for item in inst.items}
        dropped = design_orders(spec, counts, seed=seed).dropped
        if dropped:
            what = ", ".join(f"{a} shows every item in the same order as {b}" for a, b in dropped)
            copy = "a copy of that respondent" if len(dropped) == 1 else "copies of those respondents"
            notes.append(f"{inst.id}: {what} ({copy}); not administered")
    return notes


def job_seed(seed: int, job: Job) -> int:
    """A per-response sampling seed (generate mode): distinct across repeats and respondents,
    reproducible from the run seed. First 31 bits of sha256(seed, repeat, persona, template,
    order, instrument, item)."""
    key = f"{int(seed)}|{job.repeat}|{job.persona.id}|{job.template.id}|{job.order.name}|{job.instrument.id}|{job.item.id}"
    if job.game is not None:
        key += f"|{job.game.opponent}"
    if job.followup is not None:
        key += "|turn2"
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF
