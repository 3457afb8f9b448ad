"""The catalogue's dependency graph as SVG: items in columns by topological generation.

Drawn on the server for the administrator's catalogue page; edges are straight lines (dashed
for early starts, 提前介入), merge groups are outlined, split items marked.
"""

from __future__ import annotations

from html import escape

import networkx as nx

from approvals.catalog import Catalogue

COL_W, ROW_H, BOX_W, BOX_H = 190, 38, 164, 28


def render_catalogue_graph(catalogue: Catalogue, lang: str = "zh") -> str:
    g = nx.DiGraph()
    g.add_nodes_from(catalogue.items)
    leads: dict[tuple[str, str], int] = {}
    for item in catalogue.items.values():
        for r in item.requires:
            target = catalogue.part_parent.get(r.code, r.code)
            g.add_edge(target, item.code)
            leads[(target, item.code)] = r.lead
    generations = list(nx.topological_generations(g))
    pos: dict[str, tuple[int, int]] = {}
    order = {c: i for i, c in enumerate(catalogue.items)}
    for col, gen in enumerate(generations):
        for row, code in enumerate(sorted(gen, key=order.__getitem__)):
            pos[code] = (20 + col * COL_W, 40 + row * ROW_H)
    width = 40 + len(generations) * COL_W
    height = 60 + max((len(gen) for gen in generations), default=1) * ROW_H
    en = lang == "en"
    title = "Dependency graph of the catalogue" if en else "事项清单依赖关系图"
    desc = (
        f"{len(catalogue.items)} items in {len(generations)} generations; an arrow points from a prerequisite to the item that needs it."
        if en
        else f"{len(catalogue.items)} 个事项，{len(generations)} 层；箭头由前置事项指向依赖它的事项。"
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'role="img" aria-labelledby="graph-title graph-desc">',
        f'<title id="graph-title">{escape(title)}</title><desc id="graph-desc">{escape(desc)}</desc>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6770"/></marker></defs>',
    ]
    for u, v in g.edges:
        x1, y1 = pos[u][0] + BOX_W, pos[u][1] + BOX_H / 2
        x2, y2 = pos[v][0], pos[v][1] + BOX_H / 2
        dash = ' stroke-dasharray="5 3"' if leads.get((u, v)) else ""
        out.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#8a96a0"{dash} marker-end="url(#arrow)"/>'
        )
    group_of = {m: grp for grp in catalogue.merge_groups.values() for m in grp.members}
    for code, (x, y) in pos.items():
        item = catalogue.items[code]
        grp = group_of.get(code)
        stroke = "#6a1b9a" if grp else "#1f5fa8"
        name = item.name_en if en and item.name_en else item.name
        label = f"{code} {name}"
        short = label if len(label) <= 14 else label[:13] + "…"
        tip = f"{label} · {catalogue.department_name(item.department, lang)} · {item.days}{' working days' if en else ' 个工作日'}"
        if grp:
            tip += f" · {grp.name_en if en and grp.name_en else grp.name}"
        if item.split:
            tip += " · split" if en else " · 可分步办理"
        dash = ' stroke-dasharray="6 2"' if item.split else ""
        out.append(
            f'<g><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="#fff" stroke="{stroke}" stroke-width="{2 if grp else 1.2}"'
            f"{dash}><title>{escape(tip)}</title></rect>"
            f'<text x="{x + 6}" y="{y + 18}" class="node">{escape(short)}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)
