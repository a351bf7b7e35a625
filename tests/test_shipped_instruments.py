"""The five shipped instruments: items, scale membership and reverse keys equal the published keys,
keys confirmed on human data, and the norms in the YAML equal what analysis/norms computes.

Every key below is written out literally from its published source (cited at each constant), so a
wrong edit of an instrument file fails here. Human data: tests/data/ (openpsychometrics.org raw-data
releases; see tests/data/ORIGIN.md). Scoring checks go through ``psychometry.load_instrument`` and
``psychometry.score`` when those exist; the key checks read the YAML directly.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
INSTRUMENTS = ROOT / "instruments"
NORMS_SCRIPT = ROOT / "analysis" / "norms" / "compute_norms.py"
SHIPPED = ("bfi44", "ipip_neo120", "sd3", "ipip16pf", "oejts")


def raw(instrument_id: str) -> dict:
    """The YAML file as plain data (no dependency on the loader)."""
    return yaml.safe_load((INSTRUMENTS / f"{instrument_id}.yaml").read_text(encoding="utf-8"))


def items_by_id(doc: dict) -> dict[str, dict]:
    return {it["id"]: it for it in doc["items"]}


def scale_by_id(doc: dict) -> dict[str, dict]:
    return {sc["id"]: sc for sc in doc["scales"]}


def keyed_membership(doc: dict) -> dict[str, tuple[list[str], list[str]]]:
    """scale id -> (items in order, reverse-keyed items), as declared on the items."""
    out: dict[str, tuple[list[str], list[str]]] = {sc["id"]: ([], []) for sc in doc["scales"]}
    for it in doc["items"]:
        out[it["scale"]][0].append(it["id"])
        if it["keyed"] == "-":
            out[it["scale"]][1].append(it["id"])
    return out


@pytest.fixture(scope="module")
def norms_script():
    if not NORMS_SCRIPT.exists():
        pytest.skip("analysis/norms/compute_norms.py is not part of this checkout (e.g. an sdist)")
    spec = importlib.util.spec_from_file_location("compute_norms", NORMS_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _loader():
    try:
        from psychometry.instrument import load  # noqa: F401
    except ImportError:
        pytest.skip("psychometry.instrument.load (the loader) does not exist yet")
    import psychometry

    return psychometry.load_instrument


def _scorer():
    try:
        from psychometry import scoring  # noqa: F401
    except ImportError:
        pytest.skip("psychometry.scoring (psychometry.score) does not exist yet")
    import psychometry

    return psychometry.score


# ------------------------------------------------------------------------------- all files
@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_file_has_the_required_metadata(instrument_id):
    doc = raw(instrument_id)
    assert doc["format"] == "psychometry-instrument/1"
    assert doc["id"] == instrument_id
    for field in ("name", "version", "description", "citation", "licence", "source_url", "instructions"):
        assert isinstance(doc[field], str) and doc[field].strip(), field
    assert doc["source_url"].startswith("https://")
    rf = doc["response_format"]
    assert rf["points"] == 5 and rf["min"] == 1 and len(rf["anchors"]) == 5


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_scale_lists_agree_with_the_keys_on_the_items(instrument_id):
    doc = raw(instrument_id)
    ids = [it["id"] for it in doc["items"]]
    assert len(ids) == len(set(ids)), "duplicate item ids"
    declared = keyed_membership(doc)
    for sc in doc["scales"]:
        assert sc["items"] == declared[sc["id"]][0], sc["id"]
        assert sc["reverse"] == declared[sc["id"]][1], sc["id"]


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_file_loads_through_the_package_loader(instrument_id):
    load_instrument = _loader()
    inst = load_instrument(INSTRUMENTS / f"{instrument_id}.yaml")
    doc = raw(instrument_id)
    assert inst.id == instrument_id
    assert len(inst.items) == len(doc["items"])
    for sc in doc["scales"]:
        loaded = inst.scale(sc["id"])
        assert list(loaded.items) == sc["items"]
        assert list(loaded.reverse) == sc["reverse"]
    assert {it.id for it in inst.items if it.keyed < 0} == {
        it["id"] for it in doc["items"] if it["keyed"] == "-"
    }


@pytest.mark.parametrize("instrument_id", SHIPPED)
def test_every_shipped_instrument_is_found_by_id(instrument_id):
    load_instrument = _loader()
    assert load_instrument(instrument_id).id == instrument_id


# ---------------------------------------------------------------------------------- BFI-44
# Published key: John, O. P., & Srivastava, S. (1999), Handbook of Personality (2nd ed.), the BFI
# scoring key (R = reverse-scored). Item numbers are the BFI-44 (version 54) numbers.
BFI44_KEY = {
    "E": "1 6R 11 16 21R 26 31R 36",
    "A": "2R 7 12R 17 22 27R 32 37R 42",
    "C": "3 8R 13 18R 23R 28 33 38 43R",
    "N": "4 9R 14 19 24R 29 34R 39",
    "O": "5 10 15 20 25 30 35R 40 41R 44",
}
# Spot checks of the item wording (John, Donahue & Kentle 1991, BFI version 54).
BFI44_TEXT = {
    1: "Is talkative.",
    6: "Is reserved.",
    24: "Is emotionally stable, not easily upset.",
    35: "Prefers work that is routine.",
    44: "Is sophisticated in art, music, or literature.",
}
# "Crowd" norms as distributed in PsychoBench questionnaires.json (CUHK-ARISE/PsychoBench @ d514fb0,
# BFI entry): mean, SD, n. The primary sample is not named there (see docs/instruments.md).
BFI44_CROWD = {
    "E": (3.25, 0.90, 6076),
    "A": (3.64, 0.72, 6076),
    "C": (3.45, 0.73, 6076),
    "N": (3.32, 0.82, 6076),
    "O": (3.92, 0.66, 6076),
}


def test_bfi44_has_44_items_keyed_as_john_and_srivastava_1999():
    doc = raw("bfi44")
    assert [it["id"] for it in doc["items"]] == [f"bfi{n}" for n in range(1, 45)]
    membership = keyed_membership(doc)
    assert set(membership) == set(BFI44_KEY)
    for scale, key in BFI44_KEY.items():
        nums = [int(tok.rstrip("R")) for tok in key.split()]
        rev = [int(tok[:-1]) for tok in key.split() if tok.endswith("R")]
        assert membership[scale][0] == [f"bfi{n}" for n in nums], scale
        assert membership[scale][1] == [f"bfi{n}" for n in rev], scale
    assert sum(len(v[1]) for v in membership.values()) == 16


def test_bfi44_wording_stem_and_anchors_are_the_published_ones():
    doc = raw("bfi44")
    items = items_by_id(doc)
    for n, text in BFI44_TEXT.items():
        assert items[f"bfi{n}"]["text"] == text
    assert doc["instructions"].rstrip().endswith("I see myself as someone who...")
    assert doc["response_format"]["anchors"] == [
        "Disagree strongly",
        "Disagree a little",
        "Neither agree nor disagree",
        "Agree a little",
        "Agree strongly",
    ]
    assert all(sc["scoring"] == "mean" for sc in doc["scales"])


def test_bfi44_norms_are_the_psychobench_crowd_norms_with_their_provenance():
    doc = raw("bfi44")
    got = {n["scale"]: (n["mean"], n["sd"], n["n"]) for n in doc["norms"]}
    assert got == BFI44_CROWD
    assert all("PsychoBench" in n["source"] for n in doc["norms"])


# ------------------------------------------------------------------------------ IPIP-NEO-120
# Johnson, J. A. (2014), J. Research in Personality 51, 78-89: item i belongs to domain
# "NEOAC"[(i - 1) % 5] and to facet (i - 1) // 5 % 6 + 1 of that domain. Reverse-keyed item numbers
# per domain from the IPIP-NEO-120 key (two independent copies agree item by item: jianggy/MPI
# inventories/mpi_120.csv and Alheimsins/b5-johnson-120-ipip-neo-pi-r data/en/questions.json).
NEO120_REVERSE = {
    "N": [51, 81, 96, 101, 106, 111, 116],
    "E": [62, 67, 92, 97, 102, 107],
    "O": [48, 53, 68, 73, 78, 83, 88, 98, 103, 108, 113, 118],
    "A": [9, 19, 24, 39, 49, 54, 69, 74, 79, 84, 89, 94, 99, 104, 109, 114, 119],
    "C": [30, 40, 60, 70, 75, 80, 85, 90, 100, 105, 110, 115, 120],
}
NEO120_TEXT = {
    1: "Worry about things.",
    9: "Use others for my own ends.",
    28: "Tend to vote for liberal political candidates.",
    86: "Feel that I'm unable to deal with things.",
    120: "Act without thinking.",
}


def _neo_number(item_id: str) -> int:
    return int(re.fullmatch(r"neo(\d+)_[neoac][1-6]", item_id).group(1))


def test_ipip_neo120_has_120_items_in_johnsons_domain_and_facet_order():
    doc = raw("ipip_neo120")
    assert len(doc["items"]) == 120
    for n, it in enumerate(doc["items"], start=1):
        domain = "NEOAC"[(n - 1) % 5]
        facet = (n - 1) // 5 % 6 + 1
        assert it["id"] == f"neo{n}_{domain.lower()}{facet}"
        assert it["scale"] == domain


def test_ipip_neo120_reverse_keys_equal_johnson_2014():
    doc = raw("ipip_neo120")
    membership = keyed_membership(doc)
    for domain, numbers in NEO120_REVERSE.items():
        assert [_neo_number(i) for i in membership[domain][1]] == numbers, domain
        assert len(membership[domain][0]) == 24


def test_ipip_neo120_uses_the_bfi44_scale_ids_so_the_two_pair_up():
    assert {sc["id"] for sc in raw("ipip_neo120")["scales"]} == {sc["id"] for sc in raw("bfi44")["scales"]}


def test_ipip_neo120_wording_is_the_ipip_first_person_form():
    items = raw("ipip_neo120")["items"]
    for n, text in NEO120_TEXT.items():
        assert items[n - 1]["text"] == text
    assert not any(re.search(r"\byou(r|rself)?\b", it["text"], re.I) for it in items)


# -------------------------------------------------------------------------------------- SD3
# Jones, D. N., & Paulhus, D. L. (2014). Assessment 21(1), 28-41, appendix: 9 items per scale,
# reverse-scored items N2, N6, N8, P2, P7; M7 and M8 in the published wording.
SD3_SCALES = {s: [f"{s}{i}" for i in range(1, 10)] for s in "MNP"}
SD3_REVERSE = {"M": [], "N": ["N2", "N6", "N8"], "P": ["P2", "P7"]}
SD3_M7 = "There are things you should hide from other people to preserve your reputation."
SD3_M8 = "Make sure your plans benefit yourself, not others."


def test_sd3_has_27_items_keyed_as_jones_and_paulhus_2014():
    doc = raw("sd3")
    membership = keyed_membership(doc)
    assert len(doc["items"]) == 27
    for scale in "MNP":
        assert membership[scale] == (SD3_SCALES[scale], SD3_REVERSE[scale])


def test_sd3_m7_and_m8_use_the_published_paper_wording():
    items = items_by_id(raw("sd3"))
    assert items["M7"]["text"] == SD3_M7
    assert items["M8"]["text"] == SD3_M8
    assert "don't need to know" in raw("sd3")["description"]  # the variant is recorded


def test_sd3_reverse_keyed_items_correlate_negatively_with_the_rest_of_their_scale(norms_script):
    # Item-rest correlation (raw item vs the sum of the other 8 raw items of its scale) on the
    # 17,740 complete cases of tests/data/sd3_openpsychometrics.csv: negative exactly for the
    # reverse-keyed items of the YAML. Observed: N2 -.258, N6 -.224, N8 -.326, P2 -.329, P7 -.234;
    # every other item between +.276 (N1) and +.734 (M5) (analysis/norms/README.md).
    table = norms_script.sd3_item_rest()
    negative = set(table.loc[table["r_raw_rest"] < 0, "item"])
    yaml_reverse = {it["id"] for it in raw("sd3")["items"] if it["keyed"] == "-"}
    assert negative == yaml_reverse == {"N2", "N6", "N8", "P2", "P7"}
    assert table.loc[table["r_raw_rest"] > 0, "r_raw_rest"].min() > 0.2
    assert table.loc[table["r_raw_rest"] < 0, "r_raw_rest"].max() < -0.2


def test_sd3_norms_in_the_yaml_equal_the_norms_computed_from_the_human_data(norms_script):
    computed = norms_script.sd3_norms()
    stored = {n["scale"]: n for n in raw("sd3")["norms"]}
    assert set(stored) == set("MNP")
    for scale, st in computed.items():
        assert stored[scale]["n"] == st["n"] == 17740  # complete cases of 18,192
        assert stored[scale]["mean"] == pytest.approx(st["mean"], abs=1e-12)
        assert stored[scale]["sd"] == pytest.approx(st["sd"], abs=1e-12)
        assert "online volunteers" in stored[scale]["population"].lower()


# --------------------------------------------------------------------------------- IPIP 16PF
# "The Items in the 16 Preliminary IPIP Scales Measuring Constructs Similar to Those in Cattell's
# 16PF", https://ipip.ori.org/new16PFKey.htm. Scales A, B, C, E, F: checked item by item against the
# excerpt of that page (shared/instruments/ipip_new16PFKey_excerpt.txt). Scales G..Q4: the page was
# not retrievable; key from the openpsychometrics.org item order (first n items of each scale
# + keyed), reported as cross-checked against independent public item lists (shared/instruments/NOTES.md).
IPIP16PF_NAMES = {
    "A": "Warmth",
    "B": "Reasoning",
    "C": "Emotional Stability",
    "E": "Dominance",
    "F": "Liveliness",
    "G": "Rule-consciousness",
    "H": "Social Boldness",
    "I": "Sensitivity",
    "L": "Vigilance",
    "M": "Abstractedness",
    "N": "Privateness",
    "O": "Apprehension",
    "Q1": "Openness to Change",
    "Q2": "Self-reliance",
    "Q3": "Perfectionism",
    "Q4": "Tension",
}
IPIP16PF_KEY = {
    "A": [
        ("+", 'Know how to comfort others'),
        ("+", 'Enjoy bringing people together'),
        ("+", "Feel others' emotions"),
        ("+", "Take an interest in other people's lives"),
        ("+", 'Cheer people up'),
        ("+", 'Make people feel at ease'),
        ("+", 'Take time out for others'),
        ("-", "Don't like to get involved in other people's problems"),
        ("-", 'Am not really interested in others'),
        ("-", 'Try not to think about the needy'),
    ],
    "B": [
        ("+", 'Make insightful remarks'),
        ("+", 'Know the answers to many questions'),
        ("+", 'Tend to analyze things'),
        ("+", 'Use my brain'),
        ("+", 'Learn quickly'),
        ("+", "Counter others' arguments"),
        ("+", 'Reflect on things before acting'),
        ("+", 'Weigh the pros against the cons'),
        ("-", 'Consider myself an average person'),
        ("-", 'Get confused easily'),
        ("-", 'Know that I am not a special person'),
        ("-", 'Have a poor vocabulary'),
        ("-", 'Skip difficult words while reading'),
    ],
    "C": [
        ("+", 'Seldom feel blue'),
        ("+", 'Feel comfortable with myself'),
        ("+", 'Readily overcome setbacks'),
        ("+", 'Am relaxed most of the time'),
        ("+", 'Am not easily frustrated'),
        ("-", 'Have frequent mood swings'),
        ("-", 'Often feel blue'),
        ("-", 'Dislike myself'),
        ("-", 'Feel desperate'),
        ("-", 'Am easily discouraged'),
    ],
    "E": [
        ("+", 'Take charge'),
        ("+", 'Want to be in charge'),
        ("+", 'Say what I think'),
        ("+", 'Am not afraid of providing criticism'),
        ("+", 'Take control of things'),
        ("+", 'Can take strong measures'),
        ("-", 'Wait for others to lead the way'),
        ("-", 'Never challenge things'),
        ("-", 'Let others make the decisions'),
        ("-", 'Let myself be pushed around'),
    ],
    "F": [
        ("+", 'Am the life of the party'),
        ("+", 'Love large parties'),
        ("+", 'Joke around a lot'),
        ("+", 'Enjoy being part of a loud crowd'),
        ("+", 'Amuse my friends'),
        ("+", 'Act wild and crazy'),
        ("-", 'Seldom joke around'),
        ("-", "Don't like crowded events"),
        ("-", 'Am the last to laugh at a joke'),
        ("-", 'Dislike loud music'),
    ],
    "G": [
        ("+", 'Believe laws should be strictly enforced'),
        ("+", 'Try to follow the rules'),
        ("+", 'Believe in one true religion'),
        ("+", 'Respect authority'),
        ("+", 'Like to stand during the national anthem'),
        ("-", 'Resist authority'),
        ("-", 'Break rules'),
        ("-", 'Use swear words'),
        ("-", 'Oppose authority'),
        ("-", 'Know how to get around the rules'),
    ],
    "H": [
        ("+", 'Feel comfortable around people'),
        ("+", 'Talk to a lot of different people at parties'),
        ("+", "Don't mind being the center of attention"),
        ("+", 'Make friends easily'),
        ("+", 'Start conversations'),
        ("-", 'Find it difficult to approach others'),
        ("-", 'Often feel uncomfortable around others'),
        ("-", 'Have little to say'),
        ("-", 'Am quiet around strangers'),
        ("-", 'Keep in the background'),
    ],
    "I": [
        ("+", 'Like to read'),
        ("+", 'Enjoy discussing movies and books with others'),
        ("+", 'Read a lot'),
        ("+", "Don't like action movies"),
        ("+", 'Cry during movies'),
        ("+", 'Love flowers'),
        ("-", 'Do not enjoy watching dance performances'),
        ("-", 'Do not like poetry'),
        ("-", 'Dislike works of fiction'),
        ("-", 'Rarely notice my emotional reactions'),
    ],
    "L": [
        ("+", 'Find it hard to forgive others'),
        ("+", 'Suspect hidden motives in others'),
        ("+", 'Am wary of others'),
        ("+", 'Distrust people'),
        ("+", 'Believe that people seldom tell you the whole truth'),
        ("+", 'Believe that people are essentially evil'),
        ("-", 'Trust what people say'),
        ("-", 'Trust others'),
        ("-", 'Believe that others have good intentions'),
        ("-", 'Believe that people are basically moral'),
    ],
    "M": [
        ("+", 'Do things that others find strange'),
        ("+", 'Like to get lost in thought'),
        ("+", 'Enjoy wild flights of fantasy'),
        ("+", 'Love to daydream'),
        ("+", 'Swim against the current'),
        ("+", 'Take deviant positions'),
        ("+", 'Do unexpected things'),
        ("-", 'Do things by the book'),
        ("-", 'Seldom daydream'),
        ("-", 'Seldom get lost in thought'),
    ],
    "N": [
        ("+", 'Reveal little about myself'),
        ("+", 'Am hard to get to know'),
        ("+", "Don't talk a lot"),
        ("+", 'Bottle up my feelings'),
        ("+", 'Keep my thoughts to myself'),
        ("-", 'Am open about myself to others'),
        ("-", 'Am open about my feelings'),
        ("-", 'Disclose my intimate thoughts'),
        ("-", 'Show my feelings'),
        ("-", 'Am willing to talk about myself'),
    ],
    "O": [
        ("+", 'Am afraid that I will do the wrong thing'),
        ("+", 'Feel threatened easily'),
        ("+", 'Am easily hurt'),
        ("+", 'Worry about things'),
        ("+", 'Spend time thinking about past mistakes'),
        ("+", "Feel guilty when I say 'no'"),
        ("+", 'Feel crushed by setbacks'),
        ("-", "Don't worry about things that have already happened"),
        ("-", 'Am not easily bothered by things'),
        ("-", "Don't let others discourage me"),
    ],
    "Q1": [
        ("+", 'Believe in the importance of art'),
        ("+", 'Love to think up new ways of doing things'),
        ("+", 'Enjoy hearing new ideas'),
        ("+", 'Carry the conversation to a higher level'),
        ("+", 'Prefer variety to routine'),
        ("-", 'Avoid philosophical discussions'),
        ("-", 'Rarely look for a deeper meaning in things'),
        ("-", 'Am not interested in theoretical discussions'),
        ("-", 'Am not interested in abstract ideas'),
        ("-", 'Try to avoid complex people'),
    ],
    "Q2": [
        ("+", 'Want to be left alone'),
        ("+", 'Prefer to do things by myself'),
        ("+", 'Enjoy spending time by myself'),
        ("+", 'Seek quiet'),
        ("+", "Don't mind eating alone"),
        ("+", 'Enjoy silence'),
        ("+", 'Enjoy my privacy'),
        ("-", 'Enjoy being part of a group'),
        ("-", 'Enjoy teamwork'),
        ("-", "Can't do without the company of others"),
    ],
    "Q3": [
        ("+", "Want everything to be 'just right'"),
        ("+", 'Get chores done right away'),
        ("+", 'Like order'),
        ("+", 'Continue until everything is perfect'),
        ("+", 'Am exacting in my work'),
        ("-", 'Am not bothered by messy people'),
        ("-", 'Am not bothered by disorder'),
        ("-", 'Leave a mess in my room'),
        ("-", 'Leave my belongings around'),
        ("-", 'Put off unpleasant tasks'),
    ],
    "Q4": [
        ("+", 'Get irritated easily'),
        ("+", 'Get angry easily'),
        ("+", 'Am quick to judge others'),
        ("+", "Am annoyed by others' mistakes"),
        ("+", 'Am easily put out'),
        ("+", "Can't stand being contradicted"),
        ("+", 'Judge people by their appearance'),
        ("-", 'Am not easily annoyed'),
        ("-", 'Try to forgive and forget'),
        ("-", 'Have a good word for everyone'),
    ],
}


def test_ipip16pf_has_163_items_in_the_sixteen_cattell_factors():
    doc = raw("ipip16pf")
    assert len(doc["items"]) == 163
    assert [sc["id"] for sc in doc["scales"]] == list(IPIP16PF_NAMES)
    for sc in doc["scales"]:
        assert sc["name"].startswith(IPIP16PF_NAMES[sc["id"]])
    assert scale_by_id(doc)["B"]["name"] == "Reasoning (IPIP name: Intellect)"


def test_ipip16pf_items_and_keys_equal_the_ipip_key():
    doc = raw("ipip16pf")
    membership = keyed_membership(doc)
    items = items_by_id(doc)
    for scale, key in IPIP16PF_KEY.items():
        got = [(items[i]["keyed"], items[i]["text"].rstrip(".")) for i in membership[scale][0]]
        assert got == key, scale


def test_ipip16pf_item_ids_use_cattell_letters_not_the_openpsychometrics_data_letters():
    doc = raw("ipip16pf")
    for it in doc["items"]:
        prefix = re.fullmatch(r"(Q[1-4])_\d+|([A-Z])\d+", it["id"])
        assert prefix and (prefix.group(1) or prefix.group(2)) == it["scale"], it["id"]
    # openpsychometrics data column D1 ("I take charge") is Cattell's factor E (Dominance).
    assert items_by_id(doc)["E1"]["text"] == "Take charge."


# ------------------------------------------------------------------------------------ OEJTS
# OEJTS 1.2 scoring (Jorgenson, openpsychometrics.org/tests/OEJTS/): type letter = high if > 24,
# else low, so a score of exactly 24 gives the low letter.
OEJTS_FORMULAS = {
    "IE": "30 - Q3 - Q7 - Q11 + Q15 - Q19 + Q23 + Q27 - Q31",
    "SN": "12 + Q4 + Q8 + Q12 + Q16 + Q20 - Q24 - Q28 + Q32",
    "FT": "30 - Q2 + Q6 + Q10 - Q14 - Q18 + Q22 - Q26 - Q30",
    "JP": "18 + Q1 + Q5 - Q9 + Q13 - Q17 + Q21 - Q25 + Q29",
}
OEJTS_LETTERS = {"IE": ("I", "E"), "SN": ("S", "N"), "FT": ("F", "T"), "JP": ("J", "P")}
# OEJTS 1.2 poles (value 1 = left, 5 = right), wording of the openpsychometrics comparison-study codebook.
OEJTS_POLES = {
    "Q1": ('makes lists', 'relies on memory'),
    "Q2": ('sceptical', 'wants to believe'),
    "Q3": ('bored by time alone', 'needs time alone'),
    "Q4": ('accepts things as they are', 'unsatisfied with the ways things are'),
    "Q5": ('keeps a clean room', 'just puts stuff where ever'),
    "Q6": ('thinks "robotic" is an insult', 'strives to have a mechanical mind'),
    "Q7": ('energetic', 'mellow'),
    "Q8": ('prefer to take multiple choice test', 'prefer essay answers'),
    "Q9": ('chaotic', 'organized'),
    "Q10": ('easily hurt', 'thick-skinned'),
    "Q11": ('works best in groups', 'works best alone'),
    "Q12": ('focused on the present', 'focused on the future'),
    "Q13": ('plans far ahead', 'plans at the last minute'),
    "Q14": ("wants people's respect", 'wants their love'),
    "Q15": ('gets worn out by parties', 'gets fired up by parties'),
    "Q16": ('fits in', 'stands out'),
    "Q17": ('keeps options open', 'commits'),
    "Q18": ('wants to be good at fixing things', 'wants to be good at fixing people'),
    "Q19": ('talks more', 'listens more'),
    "Q20": (
        'when describing an event, will tell people what happened',
        'when describing an event, will tell people what it meant',
    ),
    "Q21": ('gets work done right away', 'procrastinates'),
    "Q22": ('follows the heart', 'follows the head'),
    "Q23": ('stays at home', 'goes out on the town'),
    "Q24": ('wants the big picture', 'wants the details'),
    "Q25": ('improvises', 'prepares'),
    "Q26": ('bases morality on justice', 'bases morality on compassion'),
    "Q27": (
        'finds it difficult to yell very loudly',
        'yelling to others when they are far away comes naturally',
    ),
    "Q28": ('theoretical', 'empirical'),
    "Q29": ('works hard', 'plays hard'),
    "Q30": ('uncomfortable with emotions', 'values emotions'),
    "Q31": ('likes to perform in front of other people', 'avoids public speaking'),
    "Q32": ('likes to know "who?", "what?", "when?"', 'likes to know "why?"'),
}


def _parse_formula(formula: str) -> tuple[int, dict[str, int]]:
    tokens = formula.split()
    const, terms = int(tokens[0]), {}
    for sign, item in zip(tokens[1::2], tokens[2::2]):
        terms[item] = 1 if sign == "+" else -1
    return const, terms


def test_oejts_scales_are_the_published_formulas_as_keyed_sums_with_offset():
    # sum of keyed items (reverse: 6 - x) + offset == constant + sum(sign * item) for every answer
    # pattern iff the items match, the "-" items are reverse keyed and offset = constant - 6 * (#minus).
    doc = raw("oejts")
    scales = scale_by_id(doc)
    for axis, formula in OEJTS_FORMULAS.items():
        const, terms = _parse_formula(formula)
        sc = scales[axis]
        assert sc["scoring"] == "sum"
        assert set(sc["items"]) == set(terms)
        assert set(sc["reverse"]) == {q for q, s in terms.items() if s < 0}
        n_minus = sum(1 for s in terms.values() if s < 0)
        assert sc.get("offset", 0) == const - 6 * n_minus == 0
        assert sc["min_items"] == 8


def test_oejts_dichotomies_follow_the_published_cutoff_with_ties_to_the_low_letter():
    dich = {d["scale"]: d for d in raw("oejts")["dichotomies"]}
    for axis, (low, high) in OEJTS_LETTERS.items():
        assert dich[axis] == {"scale": axis, "low": low, "high": high, "cutoff": 24, "tie": "low"}


def test_oejts_items_are_bipolar_with_the_published_poles():
    doc = raw("oejts")
    assert doc["response_format"]["type"] == "bipolar"
    assert [(it["id"], it["left"], it["right"]) for it in doc["items"]] == [
        (q, left, right) for q, (left, right) in OEJTS_POLES.items()
    ]


def test_oejts_letters_agree_with_self_reported_types_above_chance(norms_script):
    # 1,079 complete cases who know their type (tests/data/oejts_openpsychometrics.csv). Observed
    # agreement (chance from the margins): IE .895 (.644), SN .644 (.518), FT .794 (.497),
    # JP .770 (.500); the inverted rule would agree .105/.356/.206/.230 (analysis/norms/README.md).
    table = norms_script.oejts_type_agreement().set_index("axis")
    assert list(table.index) == list(OEJTS_LETTERS)
    assert (table["agreement"] > table["chance"] + 0.1).all()
    assert (table["kappa"] > 0.2).all()
    assert (table["chi2_p"] < 1e-10).all()
    assert (table["agreement_inverted_rule"] < 0.5).all()
    assert table.loc["IE", "agreement"] == pytest.approx(0.895, abs=0.001)


def test_oejts_column_map_pairs_each_item_with_a_development_form_item(norms_script):
    # 32 distinct columns of the 48-item development form, one per OEJTS 1.2 item.
    cmap = norms_script.OEJTS_COLUMN_MAP
    assert list(cmap) == list(OEJTS_POLES)
    assert len(set(cmap.values())) == 32
    assert {int(c[1:]) for c in cmap.values()} <= set(range(1, 49))


def test_oejts_norms_in_the_yaml_equal_the_norms_computed_from_the_human_data(norms_script):
    computed = norms_script.oejts_norms()
    stored = {n["scale"]: n for n in raw("oejts")["norms"]}
    assert set(stored) == set(OEJTS_FORMULAS)
    for scale, st in computed.items():
        assert stored[scale]["n"] == st["n"] == 1527  # complete cases of 1,560
        assert stored[scale]["mean"] == pytest.approx(st["mean"], abs=1e-12)
        assert stored[scale]["sd"] == pytest.approx(st["sd"], abs=1e-12)
        assert 8 <= st["mean"] <= 40


# ------------------------------------------------------- the package's scoring on the human data
def _score_wide(instrument_id: str, wide: pd.DataFrame) -> pd.DataFrame:
    """Scale scores of a wide item matrix (one row per respondent, one column per item id) through
    ``psychometry.load_instrument`` + ``psychometry.score``."""
    load_instrument, score = _loader(), _scorer()
    scores = score(load_instrument(instrument_id), wide)
    return pd.DataFrame(scores)


def test_psychometry_score_of_sd3_reproduces_the_norms_from_the_human_data(norms_script):
    wide = norms_script.sd3_complete_cases()
    scores = _score_wide("sd3", wide)
    stored = {n["scale"]: n for n in raw("sd3")["norms"]}
    for scale in "MNP":
        assert round(float(scores[scale].mean()), 4) == stored[scale]["mean"]
        assert round(float(scores[scale].std(ddof=1)), 4) == stored[scale]["sd"]


def test_psychometry_score_of_oejts_equals_the_published_formulas_on_the_human_data(norms_script):
    items = norms_script.oejts_items()
    wide = items[list(OEJTS_POLES)]
    scores = _score_wide("oejts", wide)
    expected = norms_script.oejts_scores(wide)
    for axis in OEJTS_FORMULAS:
        np.testing.assert_array_equal(
            scores[axis].to_numpy(dtype=float), expected[axis].to_numpy(dtype=float)
        )


def test_psychometry_score_of_oejts_all_midpoint_answers_is_24_on_every_axis():
    # constant + sum(sign * 3) = 24 for all four formulas (e.g. IE: 30 - 5*3 + 3*3 = 24), the tie case.
    wide = pd.DataFrame([{q: 3 for q in OEJTS_POLES}])
    scores = _score_wide("oejts", wide)
    for axis in OEJTS_FORMULAS:
        assert float(scores[axis].iloc[0]) == 24.0
    # the published rule is "> 24" for the high letter, so 24 on every axis gives the low letters
    assert scores["type"].iloc[0] == "ISFJ"


def test_psychometry_score_of_oejts_gives_the_published_letters_on_the_human_data(norms_script):
    items = norms_script.oejts_items()
    wide = items[list(OEJTS_POLES)]
    scores = _score_wide("oejts", wide)
    expected = norms_script.oejts_letters(norms_script.oejts_scores(wide))
    for axis in OEJTS_FORMULAS:
        assert scores[f"{axis}_letter"].tolist() == expected[axis].tolist()
    assert scores["type"].str.fullmatch("[IE][SN][FT][JP]").all()


def test_psychometry_score_of_oejts_one_point_above_the_cutoff_gives_the_high_letter():
    # IE = 30 - Q3 - Q7 - Q11 + Q15 - Q19 + Q23 + Q27 - Q31: all 3 except Q15 = 4 gives 25 -> E.
    answers = {q: 3 for q in OEJTS_POLES}
    answers["Q15"] = 4
    scores = _score_wide("oejts", pd.DataFrame([answers]))
    assert float(scores["IE"].iloc[0]) == 25.0
    assert scores["type"].iloc[0] == "ESFJ"
