"""The structural-equation-model core shared by the CFA estimators (private).

:func:`psychometry.stats.cfa` is the front door (``stats/confirmatory.py``); it dispatches to the
estimators, which all build on this package:

* single-group ML (:mod:`.ml`), single-group WLSMV (``stats/ordinal.py``), multi-group ML and
  invariance (``stats/multigroup.py``), multi-group WLSMV (``stats/ordinal_groups.py``);
* the shared pieces, one implementation each: the measurement model and its parameter bookkeeping
  (:mod:`.model`), start values (:mod:`.start`), fit indices (:mod:`.indices`), lavaan's parameter
  table rows (:mod:`.params`), the CFA result and lavaan's printed parameter blocks (:mod:`.result`).

Nothing here imports the estimators or the front door, so the modules above form no circle.
"""
