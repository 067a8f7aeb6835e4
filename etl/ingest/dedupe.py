"""Each valid staged row against the store and the rest of its file: loaded, a duplicate, or a
conflict (quarantined with the row it conflicts with)."""

from __future__ import annotations

from etl.contract import Kind
from etl.ingest.csvfile import Prepared
from etl.ingest.schema import raw_table
from etl.ingest.stage import raw_text_expr, read_csv_sql
from etl.ingest.validate import q


def classify(con, kind: Kind) -> None:
    """Decide each valid row: load, duplicate, or conflict (quarantined). Writes `verdict`."""
    key = q("v_" + kind.key)
    raw = raw_table(kind)
    con.execute("DROP TABLE IF EXISTS verdict")
    if kind.is_dimension:
        # A later row with the same id updates the dimension; identical rows are duplicates.
        con.execute(
            f"""
            CREATE TEMP TABLE verdict AS
            WITH cur AS (
                SELECT {q(kind.key)} AS k, arg_max(row_hash, (load_id, line)) AS h
                FROM {raw} GROUP BY 1
            ), ranked AS (
                SELECT rec, {key} AS k, row_hash,
                       row_number() OVER (PARTITION BY {key}, row_hash ORDER BY rec) AS nth,
                       min(rec) OVER (PARTITION BY {key}) AS first_rec
                FROM typed WHERE reasons = ''
            )
            SELECT r.rec, 'duplicate' AS verdict, NULL::VARCHAR AS reason
            FROM ranked r LEFT JOIN cur c ON c.k = r.k
            WHERE r.nth > 1 OR (r.rec = r.first_rec AND c.h = r.row_hash)
            """
        )
        return
    con.execute(
        f"""
        CREATE TEMP TABLE verdict AS
        WITH old AS (
            SELECT t.rec, r.row_hash AS old_hash, l.file_name, l.started_at
            FROM typed t
            JOIN {raw} r ON r.{q(kind.key)} = t.{key}
            JOIN loads l ON l.load_id = r.load_id
            WHERE t.reasons = ''
        ), firsts AS (
            SELECT {key} AS k, min(rec) AS first_rec, arg_min(row_hash, rec) AS first_hash,
                   arg_min(line, rec) AS first_line
            FROM typed WHERE reasons = '' GROUP BY 1 HAVING count(*) > 1
        )
        SELECT t.rec,
               CASE
                 WHEN o.rec IS NOT NULL AND o.old_hash = t.row_hash THEN 'duplicate'
                 WHEN o.rec IS NOT NULL THEN 'conflict'
                 WHEN t.row_hash = f.first_hash THEN 'duplicate'
                 ELSE 'conflict'
               END AS verdict,
               CASE
                 WHEN o.rec IS NOT NULL AND o.old_hash <> t.row_hash THEN
                   '{kind.key} ' || t.{key} || ' conflicts with the row loaded on '
                   || strftime(o.started_at, '%Y-%m-%d %H:%M') || ' from ' || o.file_name
                 WHEN o.rec IS NULL AND t.row_hash <> f.first_hash THEN
                   '{kind.key} ' || t.{key} || ' conflicts with line ' || f.first_line
                   || ' of this file'
               END AS reason
        FROM typed t
        LEFT JOIN old o USING (rec)
        LEFT JOIN firsts f ON f.k = t.{key}
        WHERE t.reasons = '' AND (o.rec IS NOT NULL OR (f.k IS NOT NULL AND t.rec <> f.first_rec))
        """
    )


def conflict_raw_text(con, prep: Prepared) -> None:
    """Valid rows keep no raw text while staged; conflicting ones (rare) get it from a re-read."""
    con.execute("DROP TABLE IF EXISTS conflict_text")
    n = con.execute("SELECT count(*) FROM verdict WHERE verdict = 'conflict'").fetchall()[0][0]
    if not n:
        con.execute("CREATE TEMP TABLE conflict_text (rec BIGINT, txt VARCHAR)")
        return
    con.execute(
        f"""
        CREATE TEMP TABLE conflict_text AS
        SELECT rec, {raw_text_expr(prep)} AS txt
        FROM (SELECT row_number() OVER () AS rec, * FROM {read_csv_sql(prep, False)})
        WHERE rec IN (SELECT rec FROM verdict WHERE verdict = 'conflict')
        """,
        {"path": str(prep.csv_path)},
    )
