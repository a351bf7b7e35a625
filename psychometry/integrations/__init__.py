"""Psychometry inside other evaluation tools.

One module per tool, each importing that tool (an optional extra); ``import psychometry`` never
imports them.

* :mod:`psychometry.integrations.lm_eval`: an lm-evaluation-harness model (``model="psychometry"``)
  on the in-process llama.cpp backend (``pip install 'psychometry[lm-eval]'``).
"""
