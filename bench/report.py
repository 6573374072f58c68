"""The results table: one row per check, numbers formatted, PASS/FAIL (or "info")."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Row:
    case: str
    measured: str
    floor: str
    ratio: str
    target: str
    passed: bool | None  # None: reported for information, no target

    @property
    def verdict(self) -> str:
        return "info" if self.passed is None else "PASS" if self.passed else "FAIL"


def ratio_row(
    case: str, measured_ms: float, floor_ms: float, limit: float | None, *, symmetric: bool = False
) -> Row:
    """`measured / floor` against `limit`; symmetric: the larger of both ratios counts."""
    ratio = measured_ms / floor_ms if floor_ms else float("inf")
    worst = max(ratio, 1 / ratio) if symmetric and ratio else ratio
    target = "" if limit is None else f"{'within ' if symmetric else '≤ '}{limit:g}x"
    return Row(
        case,
        _ms(measured_ms),
        _ms(floor_ms),
        f"{ratio:.2f}x",
        target,
        None if limit is None else worst <= limit,
    )


def value_row(case: str, measured: str, target: str, passed: bool | None, floor: str = "") -> Row:
    return Row(case, measured, floor, "", target, passed)


def section(title: str) -> Row:
    return Row(f"— {title}", "", "", "", "", None)


def _ms(value: float) -> str:
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


HEADERS = ("case", "dashboard", "floor", "ratio", "target", "pass")


def render_table(rows: list[Row]) -> str:
    cells = [HEADERS] + [
        (r.case, r.measured, r.floor, r.ratio, r.target, "" if _is_section(r) else r.verdict)
        for r in rows
    ]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADERS))]
    right = {1, 2, 3}

    def line(values) -> str:
        return " | ".join(
            value.rjust(width) if i in right else value.ljust(width)
            for i, (value, width) in enumerate(zip(values, widths, strict=True))
        ).rstrip()

    rule = "-+-".join("-" * width for width in widths)
    return "\n".join([line(cells[0]), rule, *(line(values) for values in cells[1:])])


def as_dicts(rows: list[Row]) -> list[dict]:
    return [asdict(row) | {"verdict": row.verdict} for row in rows if not _is_section(row)]


def _is_section(row: Row) -> bool:
    return row.case.startswith("—")
