"""mpid: an open system for accounting for missing persons.

Register the missing and their relatives, match remains to families by DNA kinship
likelihood ratios, review, report and tell the families.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
