"""Shared by `mpid kinship` and `mpid match`: compute a reference case, with errors that name the field."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from mpid.formats.refcase import Refcase, RefcaseError, load_refcase


def compute_case(case_file: Path, compute: Callable[[Refcase], dict[str, Any]]) -> tuple[Refcase, dict[str, Any]]:
    """Load a case and compute it; a malformed case or a bad model input exits 2 with its message on stderr."""
    try:
        case = load_refcase(case_file)
        return case, compute(case)
    except (RefcaseError, ValueError, KeyError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        typer.echo(f"error: cannot read {case_file}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None


def print_case_json(case: Refcase, result: dict[str, Any]) -> None:
    """The results in the layout of the case's ``expected`` block, so the two can be diffed."""
    json.dump({"case_id": case.case_id, "category": case.category, "expected": result}, sys.stdout, indent=1)
    sys.stdout.write("\n")
