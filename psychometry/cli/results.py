"""``psychometry results info|export RUN.sqlite``: inspect and export a results file;
``psychometry results import FILE --from inspect|lm-eval``: another tool's results into one."""

from __future__ import annotations

import argparse
import json
import sys

from ._args import InstrumentRef, OutputFile, ResultsFile, Text, existing_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "results",
        help="inspect, export or import a results file",
        description="Inspect (info) or export (export) a psychometry results file (both open the file "
        "read-only), or import another tool's results into one (import).",
    )
    sub = p.add_subparsers(dest="results_command", metavar="ACTION")
    info = sub.add_parser(
        "info",
        help="print the runs and their manifests (the first session's versions and "
        "backend settings, then every session's own)",
    )
    info.add_argument(
        "path",
        metavar="RUN.sqlite",
        type=ResultsFile(),
        help="results file written by 'psychometry administer'",
    )
    info.add_argument("--json", action="store_true", help="print the runs as JSON")
    info.set_defaults(handler=run_info_cmd)
    exp = sub.add_parser("export", help="write the long results table as CSV or JSON")
    exp.add_argument(
        "path",
        metavar="RUN.sqlite",
        type=ResultsFile(),
        help="results file written by 'psychometry administer'",
    )
    exp.add_argument("--format", choices=("csv", "json"), default="csv")
    exp.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        type=OutputFile(),
        help="output file; missing folders are created (default: standard output)",
    )
    exp.set_defaults(handler=run_export)
    imp = sub.add_parser(
        "import",
        help="read an inspect eval log or lm-eval --log_samples output of an exported psychometry task "
        "into a results file",
    )
    imp.add_argument(
        "file",
        metavar="FILE",
        type=existing_file(what="inspect log (.eval/.json) or lm-eval samples file (.jsonl)"),
        help="inspect: the log 'inspect eval' wrote; lm-eval: samples_<task>_<date>.jsonl",
    )
    imp.add_argument("--from", dest="source", required=True, choices=("inspect", "lm-eval"))
    imp.add_argument(
        "--out",
        default=None,
        metavar="RESULTS.sqlite",
        type=OutputFile(),
        help="the results file to write (default: FILE's name with .sqlite, in the current folder)",
    )
    imp.add_argument(
        "--add-run",
        action="store_true",
        help="add the imported run to a results file that holds another run",
    )
    imp.add_argument(
        "--instrument",
        metavar="ID_OR_FILE",
        type=InstrumentRef(),
        help="inspect: the instrument the task was exported from, when it is not shipped and not at "
        "the path the task recorded",
    )
    imp.add_argument(
        "--model",
        type=Text("a model name"),
        help="lm-eval: the model's name in the results (default: from lm-eval's results JSON beside FILE)",
    )
    imp.set_defaults(handler=run_import)
    p.set_defaults(handler=lambda args: (p.print_help(), 0)[1])


def _fmt_size(n: int) -> str:
    """``512 B``, ``1.5 KiB`` ... ``3.2 GiB`` (GiB for anything larger)."""
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def run_info_cmd(args: argparse.Namespace) -> int:
    from ..results import run_info

    runs = run_info(args.path)
    if args.json:
        print(json.dumps(runs, indent=2, sort_keys=True))
        return 0
    print(f"{args.path}: {len(runs)} run(s)")
    for r in runs:
        c, m = r["config"], r["manifest"]
        mod = m.get("model", {})
        print(f"\nrun {r['run_id']}  ({r['n_responses']} of {m.get('planned', '?')} responses stored)")
        print(
            f"  psychometry {m.get('psychometry_version', '?')}, python {m.get('python', '?')}, "
            f"llama-cpp-python {m.get('llama_cpp_python') or '-'}"
        )
        print(
            f"  model       {mod.get('file') or mod.get('name')}  {_fmt_size(int(mod.get('size') or 0))}  "
            f"sha256 {mod.get('sha256', '')}"
        )
        settings = m.get("backend_settings", {})
        if settings:
            print("  backend     " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))
        for iid, meta in m.get("instruments", {}).items():
            print(
                f"  instrument  {iid} (version {meta.get('version', '?')})  sha256 {meta.get('hash', '')[:16]}"
            )
        for tid, h in m.get("templates", {}).items():
            print(f"  template    {tid}  sha256 {h[:16]}")
        per = c.get("personas", {})
        print(
            f"  design      orders {','.join(c.get('orders', []))}; labels {c.get('labels')}; "
            f"personas {m.get('personas_spec', '?')} ({per.get('n')}); shape {c.get('shape') or '-'}; "
            f"repeats {c.get('repeats')}; mode {c.get('mode')}; seed {c.get('seed')}"
        )
        if c.get("generation"):
            print("  generation  " + ", ".join(f"{k}={v}" for k, v in c["generation"].items()))
        for note in m.get("notes", []):
            print(f"  note        {note}")
        print(f"  started     {m.get('started_at')}   ended {m.get('ended_at') or '(not finished)'}")
        for s in m.get("sessions", []):
            print(
                f"  session     {s.get('started_at')} -> {s.get('ended_at') or '(interrupted)'}: "
                f"{s.get('written')} written"
            )
            if "psychometry_version" in s:  # sessions recorded since psychometry-store/2
                print(
                    f"              psychometry {s.get('psychometry_version', '?')}, python {s.get('python', '?')}, "
                    f"llama-cpp-python {s.get('llama_cpp_python') or '-'}"
                )
            if s.get("backend_settings"):
                print(
                    "              backend "
                    + ", ".join(f"{k}={v}" for k, v in sorted(s["backend_settings"].items()))
                )
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..results import export_results

    text = export_results(args.path, args.format, args.out)
    if text is not None:
        sys.stdout.write(text)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..integrations.imports import import_results

    out = args.out or Path(args.file).with_suffix(".sqlite").name
    res = import_results(
        args.file, args.source, out, add_run=args.add_run, instrument=args.instrument, model=args.model
    )
    if res.degenerate:
        print(f"psychometry: warning: {res.degenerate}", file=sys.stderr)
    print(res.summary(degenerate=False))
    return 0
