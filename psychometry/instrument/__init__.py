"""Instruments: the YAML format (``docs/instrument-format.md``), the loader, validation and exports.

>>> from psychometry.instrument import load_instrument
>>> load_instrument("oejts").response_format.type
'bipolar'
"""

from __future__ import annotations

from .load import list_instruments, load_instrument, read_yaml
from .model import Dichotomy, Instrument, Item, Norm, Option, ResponseFormat, Scale
from .validate import FORMAT, instrument_to_dict, parse_instrument

__all__ = [
    "FORMAT",
    "Dichotomy",
    "Instrument",
    "Item",
    "Norm",
    "Option",
    "ResponseFormat",
    "Scale",
    "instrument_to_dict",
    "list_instruments",
    "load_instrument",
    "parse_instrument",
    "read_yaml",
]
