"""Rules: reading rule files, their schema, linking conditions to profile fields, lint and
citation checks, and the condition trees with their three-valued meaning.

Takes a folder of YAML rule files; hands on a ``Bundle`` whose every value (operands, tier
thresholds, dates) is already typed. Never evaluates a profile against a whole bundle.
"""
