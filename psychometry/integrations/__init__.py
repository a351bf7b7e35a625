"""Bridges to other evaluation tools: inspect_ai task export and log import, lm-eval results import."""
