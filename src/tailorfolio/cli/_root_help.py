"""The root command's help page (``tailorfolio --help``), drawn with rich's panels and tables.

Typer draws every help page with ``typer.rich_utils``, which imports rich's Markdown renderer
(markdown-it) and its traceback renderer (pygments) whether a page needs them or not: about
0.1 s of CPU, a third of what a person may wait for the root help (issue 14: ≤ 0.3 s). The
root page has no Markdown and no traceback: its usage line, the application's help, one
panel of options and one of commands. :class:`RootGroup` draws that page itself, in typer's
layout (rounded, dim-bordered panels; names in bold cyan), and leaves every subcommand's page
to typer.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

PANEL_BORDER = "dim"
NAME_STYLE = "bold cyan"
USAGE_STYLE = "yellow"


def first_paragraph(text: str | None) -> str:
    """A help text's first paragraph on one line (what the commands panel shows)."""
    if not text:
        return ""
    paragraph = text.strip().split("\n\n", 1)[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def _options_rows(ctx: Any, group: TyperGroup) -> list[tuple[str, str]]:
    """(names, help) of each visible option of ``group``, ``--help`` included (a click
    context: typer's vendored click, whose classes typer does not export)."""
    rows = []
    for param in group.get_params(ctx):
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        names = [*param.opts, *getattr(param, "secondary_opts", [])]
        rows.append((", ".join(names), first_paragraph(getattr(param, "help", None))))
    return rows


def _command_rows(ctx: Any, group: TyperGroup) -> list[tuple[str, str]]:
    """(name, first paragraph of its help) of each visible subcommand, in order."""
    rows = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        rows.append((name, first_paragraph(command.short_help or command.help)))
    return rows


class RootGroup(TyperGroup):
    """Typer's group with a root help page that does not load typer's rich help module."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """Print the root help page to standard output (as typer's rich help does)."""
        from rich import box
        from rich.console import Console
        from rich.padding import Padding
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        console = Console(highlight=False)
        console.print(Padding(Text(self.get_usage(ctx), style=USAGE_STYLE), 1))
        if self.help:
            console.print(Padding(Text(first_paragraph(self.help)), (0, 1, 1, 1)))
        for title, rows in (("Options", _options_rows(ctx, self)),
                            ("Commands", _command_rows(ctx, self))):
            if not rows:
                continue
            table = Table.grid(padding=(0, 2), expand=False)
            table.add_column(style=NAME_STYLE, no_wrap=True)
            table.add_column()
            for name, text in rows:
                table.add_row(name, text)
            console.print(Panel(table, title=title, title_align="left", box=box.ROUNDED,
                                border_style=PANEL_BORDER))
