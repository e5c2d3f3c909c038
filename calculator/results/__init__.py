"""Results: deciding each clause for a profile (cross-checked against the engine), reasons,
amounts, stacking, and the report and screening models.

Takes a bundle, a compiled engine and a profile; hands on a ``Report`` or a ``Screening``.
Never reads tables or talks HTTP.
"""
