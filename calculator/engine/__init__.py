"""Engine: compiling a bundle's condition trees into durable-rules rulesets and running
profiles through them.

Takes a ``Bundle`` and typed profile values; hands on the set of clause ids whose
conditions are met. Never explains, prices or formats anything.
"""
