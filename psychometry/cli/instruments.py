"""``psychometry instruments``: list, show, validate, export and import instruments.

psychometry instruments list [--kind inventory|task]
psychometry instruments show bfi44 [--items]
psychometry instruments validate my_scale.yaml [more.yaml ...]
psychometry instruments export bfi44 --format csv|json|yaml|psych-keys|lm-eval [--out FILE]
psychometry instruments export bfi44 --format inspect --out DIR [--templates T] [--orders O] [--labels L]
psychometry instruments import questionnaires.json --from psychobench|trait --out my_scale.yaml [--name BFI]
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from ..errors import PsychometryError
from ._args import ArgumentFileError, InstrumentRef, OutputFile, Text, existing_file

#: formats written by psychometry.integrations (the others by psychometry.instrument.export)
_INTEGRATIONS = ("inspect",)


class _ExportOut(OutputFile):
    """``--out``: a file name, or for ``--format inspect`` a folder (checked by the handler, which
    knows the format)."""

    def __call__(self, text: str) -> str:
        import os

        p = self._path(text)
        if p.is_dir() or text.endswith(("/", os.sep)):
            return text
        return super().__call__(text)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "instruments",
        help="list, show, validate, export and import instruments",
        description="List, show, validate, export and import questionnaire instruments.",
    )
    p.set_defaults(handler=lambda args: (p.print_help(), 0)[1])
    sub = p.add_subparsers(dest="instruments_command", metavar="ACTION")

    q = sub.add_parser("list", help="the shipped instruments (questionnaires and behavioural tasks)")
    q.add_argument(
        "--kind",
        choices=("inventory", "task"),
        help="only questionnaires (inventory) or only behavioural tasks (task)",
    )
    q.set_defaults(handler=_list)

    q = sub.add_parser("show", help="one instrument's metadata, scales and norms")
    q.add_argument(
        "instrument",
        metavar="ID_OR_FILE",
        type=InstrumentRef(),
        help="a shipped instrument id (see `psychometry instruments list`) or a YAML file",
    )
    q.add_argument("--items", action="store_true", help="also print every item")
    q.set_defaults(handler=_show)

    q = sub.add_parser("validate", help="check instrument YAML files (exit 1 if one is malformed)")
    q.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        type=Text("a file name"),
        help="instrument YAML files (each is checked; the others still are when one fails)",
    )
    q.set_defaults(handler=_validate)

    from ..instrument.export import FORMATS

    q = sub.add_parser("export", help="write an instrument for another tool")
    q.add_argument(
        "instrument",
        metavar="ID_OR_FILE",
        type=InstrumentRef(),
        help="a shipped instrument id or a YAML file",
    )
    q.add_argument("--format", required=True, choices=FORMATS + _INTEGRATIONS)
    q.add_argument(
        "--out",
        metavar="FILE",
        type=_ExportOut(),
        help="output file (default: standard output; lm-eval needs it); inspect: the folder to write "
        "the task file and its samples into",
    )
    from ..orders import LABEL_STYLES

    q.add_argument(
        "--templates",
        type=Text("template ids or files, comma-separated"),
        help="inspect: prompt templates, as for administer (default all)",
    )
    q.add_argument(
        "--orders",
        type=Text("option orders, comma-separated"),
        help="inspect: option orders, as for administer (default original,reversed)",
    )
    q.add_argument(
        "--labels", choices=LABEL_STYLES, help="inspect: option labels, as for administer (default digits)"
    )
    q.set_defaults(handler=_export)

    from ..instrument.importers import SOURCES

    q = sub.add_parser("import", help="convert another project's questionnaire file to an instrument YAML")
    q.add_argument(
        "file",
        metavar="FILE",
        type=existing_file(text=True, what="JSON file (UTF-8)"),
        help="the other project's questionnaire file (JSON)",
    )
    q.add_argument("--from", dest="source", required=True, choices=SOURCES)
    q.add_argument(
        "--out",
        required=True,
        metavar="FILE.yaml",
        type=OutputFile(),
        help="the YAML to write (its name is the id)",
    )
    q.add_argument(
        "--name",
        type=Text("a questionnaire name"),
        help="psychobench: the questionnaire to take from a file of several",
    )
    q.add_argument(
        "--item-prefix",
        default="q",
        type=Text("a non-empty item id prefix"),
        help="item ids are PREFIX + number (default: q)",
    )
    q.set_defaults(handler=_import)


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def _list(args: argparse.Namespace) -> int:
    from ..instrument.load import list_instruments

    rows = [
        (i.id, i.kind, _short(i.name, 44), str(len(i.items)), str(len(i.scales)), _short(i.licence, 60))
        for i in list_instruments(kind=getattr(args, "kind", None))
    ]
    head = ("id", "kind", "name", "items", "scales", "licence")
    widths = [max(len(r[k]) for r in rows + [head]) for k in range(len(head))]
    for r in [head] + rows:
        print(
            "  ".join(
                c.rjust(w) if k in (3, 4) else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))
            ).rstrip()
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    from ..instrument.load import load_instrument

    inst = load_instrument(args.instrument)
    rf = inst.response_format

    def wrap(label, text):
        return textwrap.fill(
            " ".join(text.split()),
            width=100,
            initial_indent=f"{label:<13}",
            subsequent_indent=" " * 13,
        )

    print(
        f"{inst.id}: {inst.name} (version {inst.version}"
        + (", behavioural task)" if inst.kind == "task" else ")")
    )
    for label, text in (
        ("description", inst.description),
        ("citation", inst.citation),
        ("licence", inst.licence),
        ("source", inst.source_url),
        ("instructions", inst.instructions),
    ):
        if text:
            print(wrap(label, text))
    fmt = (
        f"{rf.type}, {rf.points} points from {rf.min}" if rf.type != "choice" else "choice (options per item)"
    )
    print(f"{'response':<13}{fmt}" + (f": {' | '.join(rf.anchors)}" if rf.anchors else ""))
    print(f"\n{len(inst.items)} items, {len(inst.scales)} scales:")
    for s in inst.scales:
        extra = f", offset {s.offset:g}" if s.offset else ""
        extra += f", min_items {s.min_items}" if s.min_items is not None else ""
        print(
            f"  {s.id:<6} {s.name} ({len(s.items)} items, {len(s.reverse)} reverse keyed, {s.scoring}{extra})"
        )
    for d in inst.dichotomies:
        tie = {"low": d.low, "high": d.high}.get(d.tie, "X")
        print(
            f"  type letter: {d.scale} > {d.cutoff:g} -> {d.high}, < {d.cutoff:g} -> {d.low}, = {d.cutoff:g} -> {tie}"
        )
    if inst.norms:
        print("norms:")
        for n in inst.norms:
            size = f", n = {n.n}" if n.n else ""
            print(
                f"  {n.scale:<6} mean {n.mean:g}, sd {n.sd:g}{size}"
                + (f"; {_short(n.population, 70)}" if n.population else "")
            )
    if args.items:
        print("items:")
        for it in inst.items:
            text = it.text or f"{it.left} <-> {it.right}"
            if it.left is not None and it.text:
                text += f" ({it.left} <-> {it.right})"
            print(f"  {it.id:<8} {it.scale:<6} {'+' if it.keyed > 0 else '-'}  {text}")
            for o in it.options:
                print(f"  {'':<8} {'':<6}    [{o.value:g}] {o.text}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..instrument.load import load_instrument

    status = 0
    for f in args.files:
        try:
            inst = load_instrument(Path(f))  # always a file, even without a .yaml suffix
        except PsychometryError as exc:
            print(f"psychometry: error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"ok: {f} ({inst.id}: {len(inst.items)} items, {len(inst.scales)} scales)")
    return status


def _export(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    from ..instrument.export import export
    from ..instrument.load import load_instrument

    design_flags = [f for f in ("templates", "orders", "labels") if getattr(args, f, None) is not None]
    if args.format != "inspect" and design_flags:
        raise ArgumentFileError(
            f"--{design_flags[0]} is for --format inspect (the other formats write the instrument, not a design)"
        )
    if args.format == "inspect":
        from ..config import AnswerConfig, ConfigError, Design
        from ..integrations.inspect import to_inspect

        if args.out is None:
            raise ArgumentFileError("--format inspect writes a task file and its samples: give --out DIR")
        if Path(args.out).exists() and not Path(args.out).is_dir():
            raise ArgumentFileError(
                f"{args.out} is a file; --format inspect writes into a folder (--out DIR)"
            )
        inst = load_instrument(args.instrument)
        try:
            design = Design(
                instruments=[inst],
                templates=args.templates or "all",
                orders=args.orders or "original,reversed",
            )
            answers = AnswerConfig(mode="generate", label_style=args.labels or "digits")
        except ConfigError as exc:
            flag = {"label_style": "--labels"}.get(exc.field or "", f"--{exc.field}")
            raise ConfigError(f"{flag}: {exc}", field=exc.field) from None
        task, samples = to_inspect(inst, args.out, design=design, answers=answers)
        n = sum(1 for _ in samples.open(encoding="utf-8"))
        print(
            f"wrote {task} and {samples} ({n} samples); run: cd {task.parent} && inspect eval {task.name} "
            "--model MODEL"
        )
        return 0
    if args.out is not None and (Path(args.out).is_dir() or args.out.endswith(("/", os.sep))):
        raise ArgumentFileError(f"{args.out} is a directory; give a file name")

    text = export(load_instrument(args.instrument), args.format, args.out)
    if text is not None:
        sys.stdout.write(text)
    elif args.format == "lm-eval":
        from pathlib import Path

        print(f"wrote {args.out} and {Path(args.out).with_suffix('.jsonl')}")
    else:
        print(f"wrote {args.out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..instrument.export import to_yaml
    from ..instrument.importers import import_instrument
    from ..instrument.load import load_instrument

    inst = import_instrument(
        args.file, args.source, out=args.out, name=args.name, item_prefix=args.item_prefix
    )
    header = (
        f"Imported by psychometry from {Path(args.file).name} ({args.source}).\n"
        "Check the items, fill in version, citation and licence, then: psychometry instruments validate FILE"
    )
    out = Path(args.out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_yaml(inst, header=header), encoding="utf-8")
    except OSError as exc:
        raise PsychometryError(f"{out}: cannot write ({exc.strerror})") from None
    load_instrument(out)  # what was written loads back
    print(f"wrote {out} ({inst.id}: {len(inst.items)} items, {len(inst.scales)} scales)")
    return 0
