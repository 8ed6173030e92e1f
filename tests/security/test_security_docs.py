"""docs/security.md states the permission table as the code has it."""

from __future__ import annotations

from pathlib import Path

from mpid.security.roles import ROLE_PERMISSIONS, Permission, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_permission_table_in_docs_matches_the_code() -> None:
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for p in Permission:
        cells = " | ".join("✓" if p in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{p.value}` | {cells} |")
    assert "\n".join(lines) in DOC.read_text(encoding="utf-8")
