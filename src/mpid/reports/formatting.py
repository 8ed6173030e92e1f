"""Number formats shared by the pages and the printed reports."""

from __future__ import annotations

import math
from datetime import date, datetime

__all__ = ["fmt_date", "fmt_log10", "fmt_lr", "fmt_prob"]


def fmt_lr(value: float | None) -> str:
    """An LR for people: 4 significant digits, scientific at 10^4 and above (or below 10^-3)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    if value == 0:
        return "0"
    if abs(value) >= 1e4 or abs(value) < 1e-3:
        return f"{value:.3e}"
    return f"{value:.4g}"


def fmt_prob(value: float | None) -> str:
    """A probability as a percentage with enough digits to tell 99.95 % from 99.99 %."""
    if value is None:
        return "–"
    text = f"{100 * value:.4f} %"
    if value < 1.0 and text == "100.0000 %":
        return "> 99.9999 %"  # never print certainty that the model does not give
    return text


def fmt_log10(value: float | None) -> str:
    """log10 of a positive number, two decimals."""
    if value is None or value <= 0 or math.isinf(value) or math.isnan(value):
        return "–"
    return f"{math.log10(value):.2f}"


def fmt_date(value: date | datetime | None) -> str:
    """ISO date (and minutes for times)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()
