"""CSV downloads that are safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return can run as a formula in
Excel, LibreOffice or Google Sheets (CSV injection). Such cells get a leading apostrophe, which
spreadsheets show as text. Numbers are left alone: only text columns are neutralised.
"""

from __future__ import annotations

import polars as pl

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str | None) -> str | None:
    if value is None or value == "":
        return value
    return "'" + value if value.startswith(DANGEROUS) else value


def neutralise_frame(df: pl.DataFrame) -> pl.DataFrame:
    # Categorical text is text too: a business name can reach a CSV as an Enum.
    cats = [n for n, t in df.schema.items() if isinstance(t, (pl.Categorical, pl.Enum))]
    if cats:
        df = df.with_columns([pl.col(n).cast(pl.String) for n in cats])
    exprs = []
    for name, dtype in df.schema.items():
        if dtype == pl.String:
            exprs.append(
                pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r]"))
                .then(pl.lit("'") + pl.col(name))
                .otherwise(pl.col(name))
                .alias(name)
            )
        elif isinstance(dtype, pl.List):
            exprs.append(pl.col(name).list.join("; ").alias(name))
    return df.with_columns(exprs) if exprs else df


def safe_csv(df: pl.DataFrame) -> str:
    """The one CSV writer for what people open in a spreadsheet: the dashboard's downloads and
    every CSV `trustdesk` prints (metrics, queue, quarantine)."""
    # Lists (reasons) become one text cell first, then every text cell is neutralised.
    lists = [n for n, t in df.schema.items() if isinstance(t, pl.List)]
    if lists:
        df = df.with_columns([pl.col(n).list.eval(pl.element().cast(pl.String)).list.join("; ") for n in lists])
    return neutralise_frame(df).write_csv()
