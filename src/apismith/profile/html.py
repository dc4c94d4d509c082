"""The HTML report: one self-contained page, an inline SVG latency chart, no network resources."""

from __future__ import annotations

from html import escape

from apismith import __version__
from apismith.profile.report import operation_rows
from apismith.profile.result import ProfileResult

_BAR = 18
_LABEL = 260
_WIDTH = 520
_COLOURS = (("p50_ms", "#2b8a3e"), ("p95_ms", "#e67700"), ("p99_ms", "#c92a2a"))
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}td,th{padding:2px 10px;border-bottom:1px solid #ddd}
td.n{text-align:right}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}
.high,.critical{color:#c92a2a}.medium{color:#e67700}.low,.info{color:#1864ab}
"""


def render_html(result: ProfileResult) -> str:
    """The report as an HTML document."""
    rows = operation_rows(result)
    table = "".join(
        f"<tr><td>{escape(r['method'])}</td><td>{escape(r['path'])}</td>"
        f"<td class=n>{r['status']}</td><td class=n>{r['requests']}</td>"
        f"<td class=n>{r['p50_ms']:.1f}</td><td class=n>{r['p95_ms']:.1f}</td>"
        f"<td class=n>{r['p99_ms']:.1f}</td>"
        f"<td class=n>{'-' if r['statements_per_request'] is None else r['statements_per_request']}"
        "</td></tr>"
        for r in rows
    )
    findings = "".join(
        f"<li><b class={f.level}>{str(f.level).upper()}</b> <b>{f.check.id}</b> "
        f"{escape(f.check.name)}: {escape(f.message)}<pre>{escape(f.excerpt)}</pre>"
        f"<code>{escape(f.reproduce)}</code></li>"
        for f in result.findings
    )
    hotspots = "".join(
        f"<h3>{escape(label)} ({profile.seconds * 1000:.0f} ms)</h3><table>"
        + "".join(
            f"<tr><td class=n>{s.share:.1%}</td><td>{escape(s.function)}</td>"
            f"<td>{escape(s.where)}</td></tr>"
            for s in profile.hotspots
        )
        + "</table>"
        for label, profile in result.profiles.items()
    )
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>apismith profile: {escape(result.target)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>apismith profile of {escape(result.target)}</h1>"
        f"<p>{len(rows)} operation(s), {result.requests} request(s) in {result.seconds:g} s; "
        f"apismith {__version__}.</p><h2>Latency</h2>{chart(rows)}"
        "<table><tr><th>method</th><th>path</th><th>status</th><th>requests</th><th>p50 ms</th>"
        f"<th>p95 ms</th><th>p99 ms</th><th>SQL/request</th></tr>{table}</table>"
        f"<h2>Findings ({len(result.findings)})</h2><ul>{findings or '<li>none</li>'}</ul>"
        f"<h2>Hotspots</h2>{hotspots or '<p>none profiled</p>'}</body></html>\n"
    )


def chart(rows: list[dict[str, object]]) -> str:
    """Horizontal bars of p50, p95 and p99 per operation, as inline SVG."""
    longest = max((float(str(r["p99_ms"])) for r in rows), default=0.0) or 1.0
    height = len(rows) * (_BAR * 3 + 10) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_LABEL + _WIDTH + 80}" '
        f'height="{height}" role="img" aria-label="latency per operation">'
    ]
    for index, row in enumerate(rows):
        top = index * (_BAR * 3 + 10)
        label = escape(f"{row['method']} {row['path']}")
        parts.append(f'<text x="0" y="{top + _BAR * 2 - 4}" font-size="12">{label}</text>')
        for offset, (key, colour) in enumerate(_COLOURS):
            value = float(str(row[key]))
            width = max(1.0, value / longest * _WIDTH)
            y = top + offset * _BAR
            parts.append(
                f'<rect x="{_LABEL}" y="{y}" width="{width:.1f}" height="{_BAR - 3}" '
                f'fill="{colour}"><title>{key[:3]} {value:.1f} ms</title></rect>'
                f'<text x="{_LABEL + width + 4:.1f}" y="{y + _BAR - 6}" font-size="11">'
                f"{key[:3]} {value:.1f} ms</text>"
            )
    legend = height - 10
    for offset, (key, colour) in enumerate(_COLOURS):
        x = _LABEL + offset * 90
        parts.append(
            f'<rect x="{x}" y="{legend - 10}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{legend}" font-size="11">{key[:3]}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
