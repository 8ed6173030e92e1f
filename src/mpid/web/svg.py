"""Server-rendered SVG: bar charts for the dashboard and pedigree drawings (no JavaScript, no build).

Both return markup strings that templates insert with ``|safe``; every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["PedigreeNode", "bar_chart", "pedigree_svg"]


def bar_chart(
    items: Sequence[tuple[str, int]], *, title: str, width: int = 520, bar_height: int = 18, colour: str = "#2c6e9b"
) -> str:
    """A horizontal bar chart of ``(label, count)``; the bars scale to the largest count."""
    label_width = 170
    top = 28
    height = top + max(1, len(items)) * (bar_height + 6) + 8
    largest = max((n for _, n in items), default=0) or 1
    span = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">',
        f'<text x="0" y="16" class="chart-title" font-weight="bold" font-size="13">{escape(title)}</text>',
    ]
    for i, (label, count) in enumerate(items):
        y = top + i * (bar_height + 6)
        w = round(span * count / largest) if count else 0
        parts.append(
            f'<text x="{label_width - 6}" y="{y + bar_height - 5}" text-anchor="end" font-size="12">'
            f"{escape(str(label))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{w}" height="{bar_height}" fill="{colour}">'
            f"<title>{escape(str(label))}: {count}</title></rect>"
            f'<text x="{label_width + w + 4}" y="{y + bar_height - 5}" font-size="12">{count}</text>'
        )
    if not items:
        parts.append(f'<text x="{label_width}" y="{top + 12}" font-size="12">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class PedigreeNode:
    """A member of a pedigree as drawn: ``kind`` is ``missing``, ``donor`` or ``untyped``."""

    id: int
    label: str
    sex: str  # male / female / unknown
    father_id: int | None
    mother_id: int | None
    kind: str
    typed: bool = False
    highlight: bool = False


def _generations(nodes: dict[int, PedigreeNode]) -> dict[int, int]:
    depth: dict[int, int] = {}

    def visit(node_id: int, trail: frozenset[int] = frozenset()) -> int:
        if node_id in depth:
            return depth[node_id]
        node = nodes[node_id]
        parents = [p for p in (node.father_id, node.mother_id) if p in nodes and p not in trail]
        d = 0 if not parents else 1 + max(visit(p, trail | {node_id}) for p in parents)
        depth[node_id] = d
        return d

    for node_id in nodes:
        visit(node_id)
    # A founder married into the family sits beside the partner, not at the top.
    for node in nodes.values():
        if node.father_id in nodes and node.mother_id in nodes:
            f, m = node.father_id, node.mother_id
            level = max(depth[f], depth[m])  # type: ignore[index]
            for p in (f, m):
                q = nodes[p]  # type: ignore[index]
                if q.father_id is None and q.mother_id is None:
                    depth[p] = level  # type: ignore[index]
    return depth


def pedigree_svg(members: Sequence[PedigreeNode], *, title: str = "pedigree") -> str:
    """Draw a pedigree: squares men, circles women, diamonds unknown; typed donors filled,
    missing persons outlined in red (the case's own person thicker), couples joined, children below."""
    nodes = {m.id: m for m in members}
    if not nodes:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'
    depth = _generations(nodes)
    levels: dict[int, list[int]] = {}
    for node_id in sorted(nodes, key=lambda i: (depth[i], i)):
        levels.setdefault(depth[node_id], []).append(node_id)
    # Order each level: couples side by side, children after their parents' order.
    order: dict[int, float] = {}
    for level in sorted(levels):
        ids = levels[level]

        def parent_pos(i: int) -> float:
            n = nodes[i]
            ps = [order[p] for p in (n.father_id, n.mother_id) if p in order]
            return sum(ps) / len(ps) if ps else float(i)

        ids.sort(key=lambda i: (parent_pos(i), i))
        arranged: list[int] = []
        for i in ids:
            if i in arranged:
                continue
            arranged.append(i)
            for child in nodes.values():
                if i in (child.father_id, child.mother_id):
                    other = child.mother_id if child.father_id == i else child.father_id
                    if other in ids and other not in arranged:
                        arranged.append(other)  # type: ignore[arg-type]
        levels[level] = arranged
        for pos, i in enumerate(arranged):
            order[i] = pos
    size, gap_x, gap_y, margin = 30, 90, 90, 30
    widest = max(len(v) for v in levels.values())
    width = margin * 2 + widest * gap_x
    height = margin * 2 + (max(levels) + 1) * gap_y
    xy: dict[int, tuple[float, float]] = {}
    for level, ids in levels.items():
        offset = (widest - len(ids)) * gap_x / 2
        for pos, i in enumerate(ids):
            xy[i] = (margin + offset + pos * gap_x + gap_x / 2, margin + level * gap_y + size / 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pedigree" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
    ]
    couples: dict[tuple[int, int], list[int]] = {}
    for n in nodes.values():
        if n.father_id in nodes and n.mother_id in nodes:
            couples.setdefault((n.father_id, n.mother_id), []).append(n.id)  # type: ignore[arg-type]
    for (f, m), children in couples.items():
        (fx, fy), (mx, my) = xy[f], xy[m]
        parts.append(f'<line x1="{fx}" y1="{fy}" x2="{mx}" y2="{my}" stroke="#333"/>')
        cx, cy = (fx + mx) / 2, max(fy, my)
        bar_y = cy + gap_y / 2
        parts.append(f'<line x1="{cx}" y1="{cy}" x2="{cx}" y2="{bar_y}" stroke="#333"/>')
        xs = [xy[c][0] for c in children]
        parts.append(f'<line x1="{min(xs + [cx])}" y1="{bar_y}" x2="{max(xs + [cx])}" y2="{bar_y}" stroke="#333"/>')
        for c in children:
            x, y = xy[c]
            parts.append(f'<line x1="{x}" y1="{bar_y}" x2="{x}" y2="{y - size / 2}" stroke="#333"/>')
    for i, n in nodes.items():
        x, y = xy[i]
        fill = "#333" if n.typed else "#fff"
        stroke = "#c0392b" if n.kind == "missing" else "#333"
        stroke_width = 4 if n.highlight else (2.5 if n.kind == "missing" else 1.5)
        style = f'fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"'
        h = size / 2
        if n.sex == "male":
            shape = f'<rect x="{x - h}" y="{y - h}" width="{size}" height="{size}" {style}/>'
        elif n.sex == "female":
            shape = f'<circle cx="{x}" cy="{y}" r="{h}" {style}/>'
        else:
            shape = f'<polygon points="{x},{y - h} {x + h},{y} {x},{y + h} {x - h},{y}" {style}/>'
        caption = n.label if n.kind != "untyped" else ""
        parts.append(
            f'<g class="pp pp-{n.kind}"><title>{escape(n.label)} ({escape(n.kind)})</title>{shape}'
            f'<text x="{x}" y="{y + h + 14}" text-anchor="middle" font-size="11">{escape(caption)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
