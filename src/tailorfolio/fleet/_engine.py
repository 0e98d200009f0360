"""Running a book through the solver: chunks in, plan rows out, on local processes or Dask.

This module is the fleet's I/O edge (like ``tailorfolio.io``): it streams the investor book
from Parquet in chunks of ``chunk_size`` rows, has each chunk solved by
:func:`solve_chunk` (pure: an Arrow table in, an Arrow table out), and streams the plan rows
to Parquet **in input order**, so the output does not depend on the engine, the number of
workers or which worker finished first. Memory is bounded by ``chunk_size × in-flight
chunks``, whatever the size of the book.

Engines
-------
``local``
    A pool of worker processes on this machine (all cores by default).
``dask``
    A ``dask.distributed`` cluster (a scheduler address, or an in-process LocalCluster).
    Each chunk is one task with a deterministic key; a task that fails is retried
    (``retries``), a task lost with a killed worker is recomputed by the scheduler, and the
    driver writes each chunk's rows exactly once, when it first arrives, so no result is lost
    or duplicated.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tailorfolio.errors import DataError, MissingDependencyError, ParameterError
from tailorfolio.fleet._columns import (
    MODEL_KEY,
    batch_from_table,
    book_schema,
    plan_schema,
    plan_table,
    table_from_batch,
)
from tailorfolio.fleet._model import FleetModel
from tailorfolio.fleet._solver import BatchResult, SolverSettings, solve_batch
from tailorfolio.fleet._synthetic import factor_model_universe, synthetic_book

DEFAULT_CHUNK = 20_000
DICTIONARY_COLUMNS = ("status", "method", "message")
"""The plan columns written dictionary-encoded (a few distinct strings). Parquet's default
tries a dictionary on every column and falls back on the float ones (weights, metrics):
measured on the 100,000-investor hard book, writing took 2.2× the CPU and the file was 11 %
larger."""
ProgressFn = Callable[[int, int], None]  # (investors done in this update, chunks done)


def solve_chunk(model: FleetModel, table: pa.Table,
                settings: SolverSettings | None = None) -> pa.Table:
    """Solve one chunk of the investor book; return its plan rows (same order)."""
    ids, batch, invalid, messages = batch_from_table(model, table)
    ok = ~invalid
    full = _empty_result(len(ids), model.n_assets)
    if ok.any():
        res = solve_batch(model, batch.take(ok), settings)
        for name in ("weights", "status", "method", "message", "utility", "expected_return",
                     "volatility", "sharpe", "turnover", "cost", "primal_residual",
                     "dual_residual", "iterations"):
            getattr(full, name)[ok] = getattr(res, name)
    return plan_table(ids, full, batch.risk_aversion, invalid, messages, model.tickers)


def _empty_result(b: int, n: int) -> BatchResult:
    nan = np.full(b, np.nan)
    return BatchResult(np.full((b, n), np.nan), np.full(b, "", dtype=object),
                       np.full(b, "", dtype=object), np.full(b, "", dtype=object), nan.copy(),
                       nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(), nan.copy(),
                       nan.copy(), np.zeros(b, dtype=np.int64))


# ---------------------------------------------------------------------- reading / writing


def model_for_book(path: str | Path, default: FleetModel | None = None) -> FleetModel:
    """The model a book was generated for (synthetic factor universes record their recipe);
    otherwise ``default`` (the caller's market)."""
    meta = _open(path).schema_arrow.metadata or {}
    tag = meta.get(MODEL_KEY, b"").decode()
    if tag.startswith("factor:"):
        try:
            _, n, seed = tag.split(":")
            n_assets, seed_value = int(n), int(seed)
        except ValueError:
            raise DataError(f"The book's model tag {tag[:60]!r} is not factor:N:SEED.",
                            field="tailorfolio.model", value=tag[:60],
                            expected="factor:N:SEED", fix="regenerate the book") from None
        if not 3 <= n_assets <= 5_000 or seed_value < 0:
            raise DataError(f"The book's model tag {tag[:60]!r} is out of range.",
                            field="tailorfolio.model", value=tag[:60],
                            expected="factor:N:SEED with 3 <= N <= 5000, SEED >= 0",
                            fix="regenerate the book")
        return factor_model_universe(n_assets, seed=seed_value)
    if default is None:
        raise ParameterError("The book does not name its universe; pass a market.",
                             field="market", fix="use --market or the default universe")
    return default


def _open(path: str | Path) -> pq.ParquetFile:
    p = Path(path)
    if not p.exists():
        raise DataError(f"The investor book {str(p)!r} does not exist.", field="investors",
                        value=str(p), fix="check the path, or create one with "
                        "`tailorfolio fleet --generate N investors.parquet`")
    try:
        return pq.ParquetFile(p)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"{str(p)!r} is not a readable Parquet file: {exc}", field="investors",
                        value=str(p), expected="a Parquet investor book",
                        fix="see `tailorfolio fleet --help` for the columns") from None


def iter_chunks(path: str | Path, chunk_size: int) -> Iterator[pa.Table]:
    """The book in chunks of at most ``chunk_size`` rows (schema metadata kept)."""
    f = _open(path)
    schema = f.schema_arrow
    # one decoding thread: the workers use the cores (measured: a fifth less CPU to read)
    for rb in f.iter_batches(batch_size=chunk_size, use_threads=False):
        yield pa.Table.from_batches([rb]).replace_schema_metadata(schema.metadata)


def book_rows(path: str | Path) -> int:
    return _open(path).metadata.num_rows


def write_synthetic_book(path: str | Path, model: FleetModel, size: int, *, seed: int = 0,
                         chunk_size: int = 100_000, model_tag: str = "",
                         progress: ProgressFn | None = None) -> None:
    """Stream a :func:`synthetic_book` of ``size`` investors to Parquet (bounded memory)."""
    tmp = Path(str(path) + ".part")
    with pq.ParquetWriter(tmp, book_schema(model.tickers, model_tag)) as w:
        done = 0
        part = 0
        while done < size:
            m = min(chunk_size, size - done)
            batch = synthetic_book(model, m, seed=_chunk_seed(seed, part))
            ids = [f"INV{done + i:08d}" for i in range(m)]
            w.write_table(table_from_batch(model, ids, batch, model_tag))
            done += m
            part += 1
            if progress:
                progress(m, part)
    os.replace(tmp, path)


def _chunk_seed(seed: int, part: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{part}".encode()).digest()[:8], "little")


# ---------------------------------------------------------------------- engines


@dataclass
class RunReport:
    """What a run did: counts by status, wall time, throughput and peak memory."""

    investors: int = 0
    chunks: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss_mb_driver: float = 0.0
    peak_rss_mb_worker: float = 0.0
    max_kkt_residual: float = 0.0
    engine: str = ""
    workers: int = 0

    @property
    def investors_per_second(self) -> float:
        return self.investors / self.seconds if self.seconds > 0 else float("nan")

    def to_dict(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d["investors_per_second"] = self.investors_per_second
        return d


class _OrderedWriter:
    """Writes chunk results in chunk order, exactly once each."""

    def __init__(self, path: Path, schema: pa.Schema, report: RunReport,
                 progress: ProgressFn | None):
        self.tmp = Path(str(path) + ".part")
        self.path = path
        self.writer = pq.ParquetWriter(self.tmp, schema, use_dictionary=[
            c for c in DICTIONARY_COLUMNS if c in schema.names])
        self.pending: dict[int, pa.Table] = {}
        self.next = 0
        self.report = report
        self.progress = progress
        self.seen: set[int] = set()

    def put(self, index: int, table: pa.Table) -> None:
        if index in self.seen:  # a recomputed duplicate: never write twice
            return
        self.seen.add(index)
        self.pending[index] = table
        while self.next in self.pending:
            t = self.pending.pop(self.next)
            self.writer.write_table(t)
            self._count(t)
            self.next += 1

    def _count(self, t: pa.Table) -> None:
        r = self.report
        r.investors += t.num_rows
        r.chunks += 1
        for k, v in zip(*np.unique(np.asarray(t.column("status").to_pylist(), dtype=object)
                                   .astype(str), return_counts=True)):
            r.by_status[str(k)] = r.by_status.get(str(k), 0) + int(v)
        for k, v in zip(*np.unique(np.asarray(t.column("method").to_pylist(), dtype=object)
                                   .astype(str), return_counts=True)):
            key = str(k) or "none"
            r.by_method[key] = r.by_method.get(key, 0) + int(v)
        pr = t.column("primal_residual").to_numpy(zero_copy_only=False)
        dr = t.column("dual_residual").to_numpy(zero_copy_only=False)
        kkt = np.fmax(np.nan_to_num(pr, nan=0.0), np.nan_to_num(dr, nan=0.0))
        if kkt.size:
            r.max_kkt_residual = max(r.max_kkt_residual, float(kkt.max()))
        if self.progress:
            self.progress(t.num_rows, r.chunks)

    def close(self, expected_chunks: int) -> None:
        self.writer.close()
        if self.next != expected_chunks or self.pending:
            raise RuntimeError(f"fleet run incomplete: wrote {self.next} of "
                               f"{expected_chunks} chunks")
        os.replace(self.tmp, self.path)


_WORKER_MODEL: FleetModel | None = None
_WORKER_SETTINGS: SolverSettings | None = None


def _worker_init(model: FleetModel, settings: SolverSettings) -> None:
    global _WORKER_MODEL, _WORKER_SETTINGS
    _limit_blas_threads()
    _keep_freed_memory()
    _WORKER_MODEL, _WORKER_SETTINGS = model, settings


WORKER_HEAP_BYTES = 1 << 30
"""In a worker, freed memory up to this stays with the process (glibc's mmap and trim
thresholds): the solver's large temporaries recur every step, and fetching fresh zeroed
pages from the kernel each time cost about a tenth of the CPU (system time) on the hard
book. A worker's peak memory is unchanged; it is only not returned before the worker ends."""


def _keep_freed_memory() -> None:
    """Raise glibc's malloc thresholds in this (worker) process (no-op elsewhere)."""
    import ctypes

    try:  # the process's own symbols: libc's, without find_library's ldconfig/gcc subprocess
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):  # no mallopt (macOS, Windows): the defaults
        return
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h> parameter numbers
    mallopt(m_mmap_threshold, WORKER_HEAP_BYTES)
    mallopt(m_trim_threshold, WORKER_HEAP_BYTES)


def _worker_solve(index: int, table: pa.Table) -> tuple[int, pa.Table, float]:
    assert _WORKER_MODEL is not None
    out = solve_chunk(_WORKER_MODEL, table, _WORKER_SETTINGS)
    return index, out, _peak_rss_mb()


def _limit_blas_threads() -> None:
    """One BLAS thread per worker: the parallelism is across chunks."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def balanced_chunk(rows: int, chunk_size: int, workers: int) -> int:
    """The largest chunk size ≤ ``chunk_size`` that cuts ``rows`` into a multiple of
    ``workers`` nearly equal chunks (5 chunks on 2 workers leave one idle for the last)."""
    if workers <= 1 or rows <= 0:
        return chunk_size
    n = -(-rows // chunk_size)
    n = -(-n // workers) * workers
    return max(1, -(-rows // n))


def run_local(model: FleetModel, book: str | Path, out: str | Path, *,
              workers: int | None = None, chunk_size: int = DEFAULT_CHUNK,
              settings: SolverSettings | None = None,
              progress: ProgressFn | None = None) -> RunReport:
    """Solve ``book`` into ``out`` with a pool of local processes (all cores by default).

    ``workers=0`` solves in this process (no pool).
    """
    settings = settings or SolverSettings()
    workers = (os.cpu_count() or 1) if workers is None else workers
    report = RunReport(engine="local", workers=max(workers, 1))
    if workers > 1:
        chunk_size = balanced_chunk(book_rows(book), chunk_size, workers)
    start = time.perf_counter()
    n_chunks = 0
    writer = _OrderedWriter(Path(out), plan_schema(model.tickers), report, progress)
    try:
        if workers == 0:
            for i, table in enumerate(iter_chunks(book, chunk_size)):
                writer.put(i, solve_chunk(model, table, settings))
                n_chunks += 1
            report.peak_rss_mb_worker = _peak_rss_mb()
        else:
            with ProcessPoolExecutor(workers, initializer=_worker_init,
                                     initargs=(model, settings)) as pool:
                inflight: set = set()
                limit = 2 * workers
                for i, table in enumerate(iter_chunks(book, chunk_size)):
                    n_chunks += 1
                    inflight.add(pool.submit(_worker_solve, i, table))
                    # finished-but-unwritten chunks count too: memory stays bounded even
                    # when an early chunk is slow
                    while inflight and len(inflight) + len(writer.pending) >= limit:
                        done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                        _drain(done, writer, report)
                while inflight:
                    done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                    _drain(done, writer, report)
        writer.close(n_chunks)
    except BaseException:
        writer.writer.close()
        writer.tmp.unlink(missing_ok=True)
        raise
    report.seconds = time.perf_counter() - start
    report.peak_rss_mb_driver = _peak_rss_mb()
    return report


def _drain(done, writer: _OrderedWriter, report: RunReport) -> None:
    for fut in done:
        idx, table, rss = fut.result()
        report.peak_rss_mb_worker = max(report.peak_rss_mb_worker, rss)
        writer.put(idx, table)


def _dask_solve(model: FleetModel, settings: SolverSettings, index: int, table: pa.Table
                ) -> tuple[int, pa.Table, float]:
    _limit_blas_threads()
    return index, solve_chunk(model, table, settings), _peak_rss_mb()


def run_dask(model: FleetModel, book: str | Path, out: str | Path, *,
             scheduler: str | None = None, client=None, chunk_size: int = DEFAULT_CHUNK,
             settings: SolverSettings | None = None, retries: int = 3,
             max_inflight: int | None = None, progress: ProgressFn | None = None) -> RunReport:
    """Solve ``book`` into ``out`` on a ``dask.distributed`` cluster.

    Parameters
    ----------
    scheduler : str, optional
        ``tcp://host:8786``; ignored when ``client`` is given. With neither, a LocalCluster
        with one single-threaded worker process per core is started for the run.
    client : distributed.Client, optional
    retries : int
        Times a failed chunk is retried before the run fails.
    max_inflight : int, optional
        Chunks submitted but not yet written (bounds memory; default 2 per worker thread).
    """
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise MissingDependencyError(
            "The dask engine needs dask.distributed.", field="--engine", value="dask",
            fix="pip install 'tailorfolio[fleet]'") from None
    settings = settings or SolverSettings()
    own_cluster = None
    if client is None:
        if scheduler:
            client = Client(scheduler)
        else:
            own_cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                       processes=True, dashboard_address=":0")
            client = Client(own_cluster)
        owns_client = True
    else:
        owns_client = False
    report = RunReport(engine="dask")
    start = time.perf_counter()
    try:
        nthreads = sum(client.nthreads().values()) or 1
        report.workers = len(client.nthreads())
        limit = max_inflight or 2 * nthreads
        run_id = hashlib.sha256(json.dumps([str(book), time.time()]).encode()).hexdigest()[:12]
        writer = _OrderedWriter(Path(out), plan_schema(model.tickers), report, progress)
        n_chunks = 0
        try:
            ac = as_completed()
            inflight = 0

            def collect(fut) -> None:
                idx, table, rss = fut.result()
                report.peak_rss_mb_worker = max(report.peak_rss_mb_worker, rss)
                writer.put(idx, table)

            for i, table in enumerate(iter_chunks(book, chunk_size)):
                n_chunks += 1
                # the model travels with each task (a few kB): no scattered data to lose
                # when workers die
                fut = client.submit(_dask_solve, model, settings, i, table,
                                    key=f"fleet-{run_id}-{i}", retries=retries, pure=False)
                ac.add(fut)
                inflight += 1
                while inflight and inflight + len(writer.pending) >= limit:
                    collect(next(ac))
                    inflight -= 1
            for fut in ac:
                collect(fut)
            writer.close(n_chunks)
        except BaseException:
            writer.writer.close()
            writer.tmp.unlink(missing_ok=True)
            raise
    finally:
        if owns_client:
            client.close()
        if own_cluster is not None:
            own_cluster.close()
    report.seconds = time.perf_counter() - start
    report.peak_rss_mb_driver = _peak_rss_mb()
    return report
