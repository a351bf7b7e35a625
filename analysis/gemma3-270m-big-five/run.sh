#!/usr/bin/env bash
# Reproduce this study: the default model (Gemma 3 270M base, Q4_K_M) answers the BFI-44 and the
# IPIP-NEO-120 as 30 simulated respondents (the first 30 default personas) under one Likert template,
# with the options in their original and reversed order (9,840 responses; about 25 minutes on 2 CPU
# cores). Re-running resumes; the reports are rebuilt from the file.
set -euo pipefail
cd "$(dirname "$0")"
psychometry administer bfi44 ipip_neo120 --personas personas30.yaml --templates likert-plain \
    --orders original,reversed --seed 0 --out study.sqlite "$@"
psychometry report study.sqlite --markdown report-chosen --quiet
psychometry report study.sqlite --answers expected --markdown report-expected --quiet
psychometry results export study.sqlite --format csv | gzip -n > responses.csv.gz
