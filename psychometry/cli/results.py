"""``psychometry results info|export RUN.sqlite``: inspect and export a results file."""

from __future__ import annotations

import argparse
import json
import sys

from ._args import OutputFile, ResultsFile


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "results",
        help="inspect or export a results file",
        description="Inspect (info) or export (export) a psychometry results file. "
        "Both open the file read-only.",
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
