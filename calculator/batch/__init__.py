"""Batch: tables of applicants in (CSV, XLSX, JSONL), one result row per input row out,
per-clause summaries, and input templates.

Takes a table file and a ``Calculator``; hands on output files and a ``BatchResult``.
Never changes its input and never drops or invents a row.
"""
