"""Self-contained HTML reports of a plan: plotly charts (JS embedded, no CDN) in a jinja2 layout.

Use :func:`report_data` to gather everything a report shows (the plan as plain data, the
efficient frontier, holdings by account) and :func:`render_report` to turn that data into one
HTML document that opens offline. The data is plain JSON, so the web service stores it with
each plan and renders the identical report at any later time.
"""

from tailorfolio.report._data import report_data
from tailorfolio.report._render import plotly_js, render_report, render_report_body

__all__ = ["plotly_js", "render_report", "render_report_body", "report_data"]
