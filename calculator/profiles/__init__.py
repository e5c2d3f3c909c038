"""Profiles: the facts a rule may ask about, for a company or a talent.

Takes YAML, JSON, a spreadsheet cell or an HTTP body; hands on validated profile models,
the field catalogue rules are checked against, and one parser per kind of cell value.
Never reads rules or decides anything.
"""
