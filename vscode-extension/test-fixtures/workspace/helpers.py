"""Plain helpers: no Glacier pipeline here."""


def total(rows: list[dict[str, int]]) -> int:
    return sum(row["amount"] for row in rows)
