"""Bulk writing for the demo generators: one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) per
table and batch, straight through Django's connection, bypassing model instances and signals (so no
change-history rows: demo data is a load, not a series of edits)."""

import multiprocessing
import os
import queue
import traceback
from contextlib import contextmanager

from django.db import connection


class Table:
    """One table's bulk insert: the generated columns, in the order of the row tuples, and
    constant defaults for any other column the model has (so a field added later still gets
    its default)."""

    def __init__(self, model, columns: tuple[str, ...]):
        self.model = model
        self.name = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        unknown = [c for c in columns if c not in by_column]
        if unknown:
            raise ValueError(f"{self.name} has no column {unknown}")
        rest = [f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key]
        self.columns = tuple(columns) + tuple(f.column for f in rest)
        self.tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)

    def rows(self, generated: list[tuple]):
        if not self.tail:
            return generated
        tail = self.tail
        return [row + tail for row in generated]


class Writer:
    """executemany on SQLite (and other backends), COPY on PostgreSQL."""

    def __init__(self):
        self.vendor = connection.vendor
        qn = connection.ops.quote_name
        self.quote = qn

    def write(self, table: Table, generated: list[tuple]) -> None:
        if not generated:
            return
        rows = table.rows(generated)
        columns = ", ".join(self.quote(c) for c in table.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.quote(table.name)} ({columns}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            else:
                marks = ", ".join(["%s"] * len(table.columns))
                cursor.executemany(f"INSERT INTO {self.quote(table.name)} ({columns}) VALUES ({marks})", rows)


@contextmanager
def bulk_load_settings(fresh: bool):
    """SQLite: a bigger page cache while loading and, into a database without clients, no fsync
    (about 20 % faster); the previous values come back after.

    With ``synchronous=OFF`` a power cut or an OS crash during the load could damage the file, so
    it is only used when there is nothing but the load to lose; a crash of the program itself
    loses at most the batch in flight either way.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        if fresh:
            cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous={int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size={int(cache_size)}")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@contextmanager
def deferred_indexes(models, enabled: bool = True):
    """Load the empty tables among ``models`` without their secondary indexes, then build them.

    Inserting a million rows keeps a dozen B-trees of random keys (dates, numbers) up to date row by
    row; building each index once from the loaded table (a sort) is several times faster. Only
    empty tables are touched, so a database with data keeps its indexes throughout. If the program
    dies without running the ``finally`` (killed, power cut), the half-loaded database lacks these
    indexes: load it again into a new database. Indexes behind constraints (primary keys, UNIQUE
    constraints declared on columns) stay; Django's UniqueConstraints are plain unique indexes and
    are rebuilt, which checks them again.
    """
    saved: list[str] = []
    if enabled:
        with connection.cursor() as cursor:
            for model in models:
                table = model._meta.db_table
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")
                if cursor.fetchone() is not None:
                    continue
                for name, sql in _secondary_indexes(cursor, table):
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                    saved.append(sql)
    try:
        yield
    finally:
        if saved:
            # PostgreSQL builds no index on a table with foreign-key checks still pending in the
            # transaction (a load inside an outer transaction, as in tests): run them first.
            pending_checks = connection.vendor == "postgresql" and connection.in_atomic_block
            with connection.cursor() as cursor:
                if pending_checks:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for sql in saved:
                    cursor.execute(sql)
                if pending_checks:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    if connection.vendor == "sqlite":
        # Indexes SQLite makes itself (primary keys, column UNIQUE) have no SQL and cannot be dropped.
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                       "AND sql IS NOT NULL ORDER BY name", [table])
        return list(cursor.fetchall())
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
            [connection.ops.quote_name(table)])
        return list(cursor.fetchall())
    return []


def analyze(models) -> None:
    """Refresh the planner's statistics after a big load: the query plans depend on them.

    SQLite: a full ANALYZE (a few seconds for a million clients); sampled statistics
    (``PRAGMA analysis_limit``) misjudge the city and status indexes badly enough to pick plans
    that scan half the table. PostgreSQL: VACUUM (ANALYZE) when not inside a transaction, which
    also sets the hint bits and the visibility map that autovacuum would set later (index-only
    scans need it); ANALYZE alone inside one.
    """
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")


def next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
        return cursor.fetchone()[0] + 1


def reset_sequences(models) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


def can_prefetch() -> bool:
    """Whether a child process can generate rows while this one writes (a second core, and fork)."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


class Prefetched:
    """Iterates ``items``, computed in a forked child process on another core, up to ``depth`` items
    ahead of the consumer: generating the next batch overlaps with writing this one.

    The child only computes: it inherits the database connection but never uses it, and leaves
    through ``os._exit`` (as multiprocessing children do), so nothing of the connection is closed
    or flushed behind the parent's back. Create it before starting other threads (a progress bar).
    """

    _END = ("end",)

    def __init__(self, items, depth: int = 2):
        context = multiprocessing.get_context("fork")
        self._queue = context.Queue(maxsize=depth)
        self._process = context.Process(target=self._produce, args=(items, self._queue), daemon=True)
        self._process.start()

    @classmethod
    def _produce(cls, items, out) -> None:
        try:
            for item in items:
                out.put(item)
            out.put(cls._END)
        except BaseException:  # noqa: BLE001 (reported to the parent, which raises it)
            out.put(("failed", traceback.format_exc()))

    def __iter__(self):
        while True:
            try:
                item = self._queue.get(timeout=5)
            except queue.Empty:
                if not self._process.is_alive():
                    raise RuntimeError("The demo data generator process ended unexpectedly.") from None
                continue
            if item == self._END:
                break
            if item[0] == "failed":
                raise RuntimeError(f"The demo data generator failed:\n{item[1]}")
            yield item
        self._process.join()

    def close(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
