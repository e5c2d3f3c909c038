"""政策计算器 (policy calculator): which supports a company or a person qualifies for,
what they are worth, and where exactly the policy says so.

    from calculator import Calculator, load_profile
    calc = Calculator.load()                 # the shipped rules, or Calculator.load("rules/")
    report = calc.evaluate(load_profile("profiles/global500-first-entry.yaml"))
    print(report.model_dump_json(indent=2))
"""

from .base.errors import CalculatorError, EvaluationError, ProfileError, RuleFileError, UnknownClauseError
from .profiles.models import CompanyProfile, TalentProfile
from .profiles.reading import load_profile, parse_profile
from .results.calculator import Calculator
from .results.interview import SKIP, Interview, Question
from .results.report import ClauseResult, Report

__all__ = [
    "SKIP",
    "Calculator",
    "CalculatorError",
    "ClauseResult",
    "CompanyProfile",
    "EvaluationError",
    "Interview",
    "ProfileError",
    "Question",
    "Report",
    "RuleFileError",
    "TalentProfile",
    "UnknownClauseError",
    "load_profile",
    "parse_profile",
]
