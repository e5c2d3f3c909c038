"""What every stage shares: the exception hierarchy, safe YAML reading with line marks,
pydantic errors as Chinese problems with ``file:line``, and money as ``Decimal`` yuan.

Takes text; hands on Python values and problem lists. Knows nothing of profiles, rules or
results, and never imports another stage.
"""
