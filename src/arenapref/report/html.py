"""A self-contained HTML page: headings, text, tables and figures embedded as base64 PNG (also saved beside)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #ddd}h2{margin-top:2em;border-bottom:1px solid #eee}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}img{max-width:100%;display:block;margin:1em 0}
pre{background:#f6f6f6;padding:.8em;overflow-x:auto}.note{color:#666;font-size:14px}
"""


class HtmlPage:
    """Collects sections, then writes one HTML file with every figure inlined and a PNG of each beside it."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.parts: list[str] = []
        self.figures: dict[str, bytes] = {}

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def text(self, text: str, css_class: str = "") -> None:
        cls = f' class="{css_class}"' if css_class else ""
        self.parts.append(f"<p{cls}>{html.escape(text)}</p>")

    def preformatted(self, text: str) -> None:
        self.parts.append(f"<pre>{html.escape(text)}</pre>")

    def table(self, df: pd.DataFrame, float_format: str = "{:.4g}") -> None:
        self.parts.append(df.to_html(index=False, float_format=float_format.format, border=0, escape=True))

    def figure(self, fig: Figure, name: str, alt: str = "") -> None:
        """Embed a matplotlib figure (closed afterwards); `name` is the PNG's file stem."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        png = buf.getvalue()
        self.figures[name] = png
        data = base64.b64encode(png).decode("ascii")
        self.parts.append(
            f'<img alt="{html.escape(alt or name)}" id="fig-{html.escape(name)}" src="data:image/png;base64,{data}">'
        )

    def include(self, other: HtmlPage) -> None:
        """Append another page's sections and figures (figure names must not clash)."""
        clash = sorted(set(self.figures) & set(other.figures))
        if clash:
            raise ValueError(f"figure names already used on this page: {clash}")
        self.parts += other.parts
        self.figures.update(other.figures)

    def render(self) -> str:
        body = "\n".join(self.parts)
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(self.title)}</h1>\n{body}\n</body></html>"
        )

    def write(self, path: str | Path) -> Path:
        """Write the page and, beside it, a folder `<stem>_figures/` holding each figure as PNG."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        if self.figures:
            fig_dir = path.parent / f"{path.stem}_figures"
            fig_dir.mkdir(exist_ok=True)
            for name, png in self.figures.items():
                (fig_dir / f"{name}.png").write_bytes(png)
        return path
