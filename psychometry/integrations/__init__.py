"""Psychometry inside other evaluation tools.

Each module adapts psychometry to one tool and imports that tool, an optional extra;
``import psychometry`` never imports them.

=========================================  =============================================================
:mod:`psychometry.integrations.inspect`    the inspect_ai task export (``instruments export --format inspect``)
:mod:`psychometry.integrations.imports`    inspect logs and lm-eval samples into a results file
                                           (``results import``)
:mod:`psychometry.integrations.lm_eval`    an lm-evaluation-harness model (``model="psychometry"``) on the
                                           in-process llama.cpp backend (``pip install 'psychometry[lm-eval]'``)
=========================================  =============================================================
"""
