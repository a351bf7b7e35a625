#!/usr/bin/env bash
# Reproduce this study: the default model (Gemma 3 270M base, Q4_K_M) as 30 simulated persons (the first
# 30 default personas) answers the BFI-44 and the SD-3 and makes the choices of four behavioural tasks
# (dictator, risk, honesty, cooperation), one template per format, options in original and reversed order
# (5,220 responses; about 15 minutes on 2 CPU cores). Then behaviour is regressed on traits.
set -euo pipefail
cd "$(dirname "$0")"
psychometry administer bfi44 sd3 dictator risk honesty cooperation --personas personas30.yaml \
    --templates likert-plain,choice-plain --orders original,reversed --seed 0 --out study.sqlite "$@"
python analyse.py study.sqlite > results.txt
# the full report, findings first, with the behaviour-prediction section (persons = model x persona x repeat)
psychometry report study.sqlite --answers expected --respondent persona --markdown report-expected --quiet
psychometry results export study.sqlite --format csv | gzip -n > responses.csv.gz
