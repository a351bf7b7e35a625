"""Psychometry inside other evaluation tools.

Each module adapts psychometry's engine to one tool and imports that tool, an optional extra;
``import psychometry`` never imports them.

=====================================  ================================================================
:mod:`psychometry.integrations.lm_eval`  an lm-evaluation-harness model (``model="psychometry"``) on the
                                         in-process llama.cpp backend (``pip install 'psychometry[lm-eval]'``)
=====================================  ================================================================
"""
