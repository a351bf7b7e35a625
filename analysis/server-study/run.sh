#!/usr/bin/env bash
# Reproduce this study: the SD-3 (27 items, every shipped template, original and reversed option order:
# 162 responses, logprob answers) administered to the default model (Gemma 3 270M base, Q4_K_M) twice:
# through llama-cpp-python's OpenAI-compatible server on loopback (--backend openai), and in-process
# (the default llama.cpp backend). compare.py then sets the two side by side (results.txt).
# About 20 minutes on 2 busy CPU cores. Re-running resumes every results file.
set -euo pipefail
cd "$(dirname "$0")"
PORT="${PORT:-8765}"
MODEL="$(python -c 'from psychometry.backends.default_model import default_model_path as p; print(p())')"
python -m llama_cpp.server --model "$MODEL" --host 127.0.0.1 --port "$PORT" --n_ctx 2048 \
    --n_threads 1 --n_threads_batch 1 > server.log 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 240); do  # at most 120 s for the model to load
    curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null && break
    kill -0 "$SERVER" 2>/dev/null || { echo "the server exited; see server.log" >&2; exit 1; }
    sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/v1/models" > /dev/null || { echo "the server did not start in 120 s" >&2; exit 1; }
psychometry administer sd3 --backend openai --base-url "http://127.0.0.1:$PORT/v1" --out server.sqlite --quiet "$@"
psychometry administer sd3 --threads 1 --out inprocess.sqlite --quiet "$@"
# How much do the numbers move within each backend? SD-3 under likert-plain, original order (27
# responses): the server at concurrency 1 (every prompt and its extension back to back, so the
# server's prefix cache splits prompts differently than at concurrency 4), and the in-process backend
# decoding one prompt at a time (--batch-size 1) instead of 64 together.
psychometry administer sd3 --backend openai --base-url "http://127.0.0.1:$PORT/v1" --concurrency 1 \
    --templates likert-plain --orders original --out server-c1.sqlite --quiet "$@"
psychometry administer sd3 --threads 1 --batch-size 1 --templates likert-plain --orders original \
    --out inprocess-b1.sqlite --quiet "$@"
{
    echo "== server (concurrency 4) vs in-process (default batch): the whole design"
    python compare.py server.sqlite inprocess.sqlite
    echo
    echo "== likert-plain, original order (27 responses)"
    echo "-- server, concurrency 1 vs concurrency 4"
    python compare.py server-c1.sqlite server.sqlite
    echo "-- in-process, batch size 1 vs default batch (64)"
    python compare.py inprocess-b1.sqlite inprocess.sqlite
    echo "-- server concurrency 1 vs in-process batch size 1"
    python compare.py server-c1.sqlite inprocess-b1.sqlite
} > results.txt
for f in server inprocess server-c1 inprocess-b1; do
    psychometry results export "$f.sqlite" --format csv | gzip -n > "$f.csv.gz"
done
cat results.txt
