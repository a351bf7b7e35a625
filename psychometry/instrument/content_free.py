"""The content-free companion of an instrument, for contextual calibration (Zhao et al. 2021).

:func:`content_free_instrument` makes, from an instrument, the instrument ``<id>~content-free``: the
same response format, instructions and (per item) options or poles, and in place of the items one
item whose text is ``N/A`` per distinct set of options (one item for a likert or bipolar-less
questionnaire). Administered beside the instrument in one design (the same templates, option orders,
personas and repeats), each simulated respondent answers it under each option order, and
:func:`psychometry.stats.robustness.debias.calibrate_content_free` divides every answer by the
content-free answer of the same respondent and shown order.

Example
-------
>>> from psychometry.instrument import load_instrument
>>> cf = content_free_instrument(load_instrument("bfi44"))
>>> cf.id, [it.text for it in cf.items], cf.response_format == load_instrument("bfi44").response_format
('bfi44~content-free', ['N/A'], True)

In a design (``psychometry.Design(instruments=[inst, content_free_instrument(inst)], orders=...)``).
"""

from __future__ import annotations

from dataclasses import replace

from .model import Instrument, Item, Scale

__all__ = ["CONTENT_FREE_SUFFIX", "CONTENT_FREE_TEXT", "content_free_instrument"]

#: The suffix of a content-free companion's id (``bfi44~content-free``).
CONTENT_FREE_SUFFIX = "~content-free"
#: The content-free input of Zhao et al. (2021), section 5.
CONTENT_FREE_TEXT = "N/A"
#: The scale of the content-free items (not scored: the items only calibrate).
_SCALE = "content_free"


def content_free_instrument(instrument: Instrument, *, text: str = CONTENT_FREE_TEXT) -> Instrument:
    """The content-free companion of ``instrument`` (id ``<id>~content-free``).

    One item ``cf1``, ``cf2``, ... with the text ``text`` (default ``N/A``) per distinct answer format
    of the instrument's items: likert instruments get one item; choice items keep their own options
    and bipolar items their poles (the label space, which Zhao et al. keep), one content-free item per
    distinct set. Scales, norms and dichotomies are dropped (one unscored scale ``content_free``).
    """
    seen: dict[tuple, str] = {}
    items: list[Item] = []
    for it in instrument.items:
        sig = (it.left, it.right, tuple((o.text, o.value) for o in it.options))
        if sig in seen:
            continue
        iid = f"cf{len(seen) + 1}"
        seen[sig] = iid
        items.append(
            Item(id=iid, text=text, scale=_SCALE, keyed=1, left=it.left, right=it.right, options=it.options)
        )
    scale = Scale(
        id=_SCALE,
        name="Content-free calibration items",
        items=tuple(i.id for i in items),
        description=f"content-free input '{text}' (Zhao et al. 2021) for {instrument.id}",
    )
    return replace(
        instrument,
        id=instrument.id + CONTENT_FREE_SUFFIX,
        name=f"{instrument.name} (content-free)",
        scales=(scale,),
        items=tuple(items),
        dichotomies=(),
        norms=(),
        description=f"Content-free companion of {instrument.id} for contextual calibration",
        path=None,
    )
