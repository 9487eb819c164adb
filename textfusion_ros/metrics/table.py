"""Fixed-width text table of metric values."""

from __future__ import annotations

from .evaluate import METRIC_NAMES

_DECIMALS = 4


def format_table(rows: dict[str, dict[str, float]]) -> str:
    """One line per named row, one column per metric (METRIC_NAMES first, then any others)."""
    present = [name for row in rows.values() for name in row]
    columns = [name for name in METRIC_NAMES if name in present]
    columns += [name for name in dict.fromkeys(present) if name not in METRIC_NAMES]
    cells = {label: [f"{row[name]:.{_DECIMALS}f}" if name in row else "-" for name in columns]
             for label, row in rows.items()}
    label_width = max([len("Method"), *(len(label) for label in rows)])
    widths = [max([len(name), *(len(cell[i]) for cell in cells.values())])
              for i, name in enumerate(columns)]
    header = "  ".join(["Method".ljust(label_width),
                        *(name.rjust(width) for name, width in zip(columns, widths, strict=True))])
    lines = [header, "-" * len(header)]
    for label, row_cells in cells.items():
        lines.append("  ".join([label.ljust(label_width),
                                *(cell.rjust(width)
                                  for cell, width in zip(row_cells, widths, strict=True))]))
    return "\n".join(lines)
