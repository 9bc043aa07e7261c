"""``runs_with_params``: runs with one column per param key, recreated when a new key or type appears.

A DuckDB view cannot pivot on values it has not seen, so the view is rewritten with an explicit column
list inside the transaction that adds a param with a new key (and after an import). Columns are typed by
what the key holds in every run: ``int`` → BIGINT, ``float`` (or a mix of int and float) → DOUBLE,
``bool`` → BOOLEAN, anything else (str, json, mixed) → VARCHAR text. A param whose key equals one of the
run columns of the view is named ``param.<key>``.
"""

from __future__ import annotations

__all__ = ["refresh_runs_with_params", "RUN_COLUMNS"]

RUN_COLUMNS = ("run_id", "experiment", "name", "parent_run_id", "status", "start_time", "end_time")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(keys: list[tuple[str, list[str]]]) -> str:
    cols, used = [], set(RUN_COLUMNS)
    for key, types in keys:
        name = key if key not in used else f"param.{key}"
        while name in used:
            name += "_"
        used.add(name)
        t = set(types) - {"null"}
        if t and t <= {"int"}:
            expr = "TRY_CAST(p.value AS BIGINT)"
        elif t and t <= {"int", "float"}:
            expr = "p.value_num"
        elif t == {"bool"}:
            expr = "p.value = 'true'"
        else:
            expr = "p.value"
        cols.append(f"any_value({expr}) FILTER (WHERE p.key = {_literal(key)}) AS {_ident(name)}")
    run_cols = ", ".join(f"r.{c}" for c in RUN_COLUMNS)
    if not cols:
        return f"CREATE OR REPLACE VIEW runs_with_params AS SELECT {run_cols} FROM runs r"
    return (
        f"CREATE OR REPLACE VIEW runs_with_params AS SELECT {run_cols}, {', '.join(cols)} "
        f"FROM runs r LEFT JOIN params p ON p.run_id = r.run_id GROUP BY {run_cols}"
    )


def refresh_runs_with_params(con) -> None:
    keys = con.execute("SELECT key, list(DISTINCT type ORDER BY type) FROM params GROUP BY key ORDER BY key").fetchall()
    con.execute(view_sql(keys))
