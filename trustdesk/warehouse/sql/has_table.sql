-- Whether the warehouse has the table: one built before the table existed lacks it until rebuilt.
select count(*) > 0 as found from duckdb_tables() where table_name = $table
