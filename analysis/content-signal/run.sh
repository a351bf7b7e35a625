#!/usr/bin/env bash
# Reproduce: the default model (Gemma 3 270M) answers the BFI-44 under every cyclic rotation of the
# options (--orders rotate: 220 prompts, the design that permutation debiasing needs), and the report
# leads with the position-habit and content-signal verdicts, raw and debiased.
set -euo pipefail
cd "$(dirname "$0")"
psychometry administer bfi44 --templates likert-plain --orders rotate --out gemma-rotate.sqlite --quiet "$@"
psychometry report gemma-rotate.sqlite --html report.html > report.txt
chromium --headless --no-sandbox --screenshot=first-screen.png --window-size=1280,1100 "file://$PWD/report.html"
