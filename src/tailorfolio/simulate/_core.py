"""The simulator core: correlated returns on common random numbers, wealth stepped through
cash flows under a rebalancing policy, and path statistics.

Every simulator of the project runs on this module: the Monte Carlo engine
(:func:`tailorfolio.simulate.simulate`, which adds pots, goals and taxes), the withdrawal-rate
analysis (:func:`tailorfolio.goals.withdrawal_analysis`), the goal DP's forward check
(:func:`tailorfolio.goals.simulate_policy`) and the simulated tax-loss-harvest backtest
(:func:`tailorfolio.tax._backtest.harvest_backtest_simulated`, which takes its price paths
from :func:`price_paths`).

Three pieces, each usable on its own:

* **Draws** — :class:`GrowthStream` gives, step by step, the gross growth factor of every asset
  and of the price level for one chunk of paths, as one array ``growth`` of shape
  ``(n_assets + 1, n_paths)`` (row ``i`` asset ``i`` net of fees, last row the price level).
  A step is a month for the engine (a year for the DP's annual model).
* **Stepping** — :func:`simulate_portfolio` moves one portfolio through cash flows
  (contributions, withdrawals, income) with fixed weights, a glide path or a policy callback.
* **Statistics** — :class:`PortfolioPaths` holds per-path summaries (never every step) and
  computes probabilities with their Monte Carlo standard errors.

Common random numbers
---------------------
Paths are grouped in *streams* of :data:`STREAM_PATHS` paths; stream ``j`` (paths
``j·STREAM_PATHS`` to ``(j+1)·STREAM_PATHS − 1``) draws from its own generator
``default_rng(SeedSequence(seed).spawn(j + 1)[j])`` step after step. So path ``i``'s draws
depend only on ``seed``, ``i`` and the number of paths in its stream — never on the chunk size
(chunks only bound memory; results are identical whatever the chunk size) and never on the
policy, weights or cash flows being simulated: two runs with the same seed and different
policies see exactly the same returns. With the default chunk size (one stream per chunk) the
streams are those the engine has always used, so seeded results are unchanged.

Layout
------
Arrays are asset-major, ``(n_assets, n_paths)``: every per-step operation then runs over long
contiguous rows of paths (numpy's fast inner loops), and the Cholesky factor is applied by one
matrix product per step that reads the normals where the generator wrote them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

import numpy as np

from tailorfolio.errors import ParameterError
from tailorfolio.typing import FloatArray, IntArray

STREAM_PATHS = 10_000
"""Paths per random stream (see the module docstring); equal to the engine's default chunk."""

BLOCK_STEPS = 12
"""Steps drawn per call to a model's sampler (models other than Gaussian factors)."""

MATMUL_TILE = 64
"""Paths are padded to a multiple of this in the Cholesky product (see ``GrowthStream``)."""

PIPELINE_MIN_NUMBERS = 2_000_000
"""A Gaussian run drawing at least this many normals computes each step one step ahead on a
second thread (``GrowthStream._gaussian``); smaller runs stay on one thread, where the
hand-off between threads would cost more than it hides (measured: ~20 µs a step)."""

BATCH_NUMBERS = 2**19
"""Numbers in each array of a pipelined Gaussian run's batch of consecutive segments (its
normals, their sums, the growth factors: 4 MB each, two batches in flight):
the worker thread then takes the GIL a few times per batch instead of a few times per step
(see ``GrowthStream._gaussian``)."""

MIN_BATCH_MONTHS = 4
"""A run batches its months only when at least this many fit in :data:`BATCH_NUMBERS`: a
batch copies its one-month segments' normals once more (drawn into the batch, then into the
padded sums), which a run with months of a few hundred thousand numbers each pays without
gaining much, as its worker already takes the GIL rarely (measured on ``bench_simulate.py``'s
10,000 paths: batched 1.29–1.30× the random-number floor, step by step 1.19–1.21×)."""

DEFAULT_CHUNK_SIZE = 10_000
"""Paths simulated together; working memory of the core is about 0.5 kB per path per asset."""


class _Sampler(Protocol):
    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        ...


class ReturnModelLike(Protocol):
    """What the core needs of a return model (see :mod:`tailorfolio.simulate._returns`)."""

    tickers: tuple[str, ...]
    name: str

    def sampler(self, rng: np.random.Generator, n_paths: int) -> _Sampler:
        ...

    def fixed_n_paths(self, n_steps: int) -> int | None:
        ...


@dataclass(frozen=True)
class GaussianFactors:
    """Log changes that are affine in standard normals: ``x = mean + loadings.T @ z`` with
    ``z ~ N(0, I_f)`` drawn afresh every step.

    Attributes
    ----------
    mean : ndarray (n_assets + 1,)
        Mean log change per step of each asset, then of the price level (last entry).
    loadings : ndarray (n_factors, n_assets + 1)
        Each row one normal factor's effect on every log change. The upper Cholesky factor of
        a covariance gives a full-rank model (:class:`LognormalModel`); one row gives a
        one-factor model (the goal DP's portfolios all move with one normal).
    """

    mean: FloatArray
    loadings: FloatArray

    @property
    def n_factors(self) -> int:
        return int(self.loadings.shape[0])


@dataclass(frozen=True)
class FactorModel:
    """A return model given directly by its Gaussian factors (one step = whatever period the
    factors describe, e.g. a year for the goal DP's portfolios).

    Attributes
    ----------
    tickers : tuple of str
        One name per asset (``len(factors.mean) − 1`` of them).
    gaussian : GaussianFactors
    name : str
    """

    tickers: tuple[str, ...]
    gaussian: GaussianFactors
    name: str = "gaussian factors"

    def __post_init__(self) -> None:
        k = len(self.tickers) + 1
        if np.shape(self.gaussian.mean) != (k,) or np.shape(self.gaussian.loadings)[1:] != (k,):
            raise ParameterError(
                f"FactorModel needs a mean of shape ({k},) and loadings (n_factors, {k}) "
                "(assets then inflation); got "
                f"{np.shape(self.gaussian.mean)} and {np.shape(self.gaussian.loadings)}.",
                field="gaussian", fix="append the inflation entry after the assets")

    def factors(self) -> GaussianFactors:
        return self.gaussian

    def fixed_n_paths(self, n_steps: int) -> int | None:
        return None

    def sampler(self, rng: np.random.Generator, n_paths: int) -> _FactorSampler:
        return _FactorSampler(self.gaussian, rng, n_paths)


class _FactorSampler:
    """The same draws as :class:`GrowthStream`'s fast path, as log changes (for ``freeze``)."""

    def __init__(self, gaussian: GaussianFactors, rng: np.random.Generator, n_paths: int):
        self.g, self.rng, self.n_paths = gaussian, rng, n_paths

    def next(self, n_steps: int) -> tuple[FloatArray, FloatArray]:
        z = self.rng.standard_normal((n_steps * self.n_paths, self.g.n_factors))
        x = (z @ self.g.loadings + self.g.mean).reshape(n_steps, self.n_paths, -1)
        return x[..., :-1], x[..., -1]


def gaussian_factors_of(model: object) -> GaussianFactors | None:
    """The model's :class:`GaussianFactors` when it has one (its ``factors()`` method), else
    None (the core then calls the model's sampler)."""
    factors = getattr(model, "factors", None)
    return factors() if callable(factors) else None


def stream_seeds(seed: int, first_path: int, stop_path: int) -> list[tuple[int, int,
                                                                            np.random.SeedSequence]]:
    """The streams covering paths ``first_path`` to ``stop_path − 1`` of a run of
    ``stop_path`` or more paths: ``(first path, last path + 1, seed sequence)`` of each stream
    index ``j`` overlapping the range (only the index decides the seed)."""
    root = np.random.SeedSequence(seed)
    first_stream = first_path // STREAM_PATHS
    last_stream = (stop_path - 1) // STREAM_PATHS
    children = root.spawn(last_stream + 1)
    return [(j * STREAM_PATHS, (j + 1) * STREAM_PATHS, children[j])
            for j in range(first_stream, last_stream + 1)]


def path_chunks(n_paths: int, chunk_size: int) -> list[tuple[int, int]]:
    """``(first path, number of paths)`` of each chunk."""
    if n_paths <= 0 or chunk_size <= 0:
        raise ParameterError(f"n_paths and chunk_size must be positive; got {n_paths}, "
                             f"{chunk_size}.", field="n_paths", value=n_paths)
    return [(a, min(chunk_size, n_paths - a)) for a in range(0, n_paths, chunk_size)]


class _GaussianBuffers(NamedTuple):
    """One step's work arrays of a Gaussian stream (paths padded to :data:`MATMUL_TILE`)."""

    z: FloatArray  # (padded paths, factors): one step's normals
    total: FloatArray  # (padded paths, factors): a segment's summed normals
    growth_pad: FloatArray  # (assets + 1, padded paths): the segment's growth factors


class _BatchBuffers(NamedTuple):
    """A batch's work arrays of a pipelined Gaussian stream (:data:`BATCH_NUMBERS`)."""

    normals: FloatArray  # (months, paths, factors): the batch's normals, month after month
    total: FloatArray  # (segments, padded paths, factors): each segment's summed normals
    growth: FloatArray  # (segments, assets + 1, padded paths): each segment's growth factors


Item = TypeVar("Item")
Buffers = TypeVar("Buffers")
Filled = TypeVar("Filled")


def _pipelined(items: list[Item], fill: Callable[[Item, Buffers], Filled],
               buffers: Callable[[], Buffers]) -> Iterator[tuple[Item, Filled]]:
    """``(item, fill(item, buffers))`` for each item, each computed on a worker thread one
    item ahead of the consumer: two buffer sets take turns, so the arrays a consumer holds
    are never written until it asks for the next item. An exception on the worker is raised
    in the consumer; a consumer that stops early stops the worker."""
    import queue
    import threading

    free: queue.Queue = queue.Queue()
    ready: queue.Queue = queue.Queue()
    for _ in range(2):
        free.put(buffers())
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                buf = free.get()
                if stop.is_set():
                    return
                ready.put((item, fill(item, buf), buf))
        except BaseException as exc:  # any failure is handed to the consumer and raised there
            ready.put(exc)

    worker = threading.Thread(target=produce, name="tailorfolio-draws", daemon=True)
    worker.start()
    try:
        for _ in items:
            got = ready.get()
            if isinstance(got, BaseException):
                raise got
            item, filled, buf = got
            yield item, filled
            free.put(buf)
    finally:
        stop.set()
        free.put(None)  # wakes a worker waiting for a buffer
        worker.join()


def _batches(segments: list[tuple[int, int]], max_months: int) -> list[list[tuple[int, int]]]:
    """Consecutive segments grouped into batches of at most ``max_months`` months (a longer
    segment alone in its batch)."""
    out: list[list[tuple[int, int]]] = []
    batch: list[tuple[int, int]] = []
    months = 0
    for t, span in segments:
        if batch and months + span > max_months:
            out.append(batch)
            batch, months = [], 0
        batch.append((t, span))
        months += span
    if batch:
        out.append(batch)
    return out


class GrowthStream:
    """Gross growth factors, step by step, for paths ``first_path`` to
    ``first_path + n_paths − 1`` of a run of ``total_paths`` paths.

    Iterating yields ``(t, growth)`` for ``t = 0 … n_steps − 1``, ``growth`` an ndarray
    ``(n_assets + 1, n_paths)``: ``exp(log return + log fee)`` of each asset (a multiplier of
    its value over step ``t``), then ``exp(log inflation)`` (the price level's multiplier).
    The array is a buffer the stream reuses: read it (or multiply by it) before asking for the
    next step; never write to it (stored paths, ``ReplayModel``, yield read-only views of
    their cached monthly growth).

    Parameters
    ----------
    model : return model
        A model with ``factors()`` (:class:`GaussianFactors`) takes the fast path: per step, one
        ``standard_normal(out=...)`` per stream, one matrix product, one ``exp`` in place.
        Others go through ``model.sampler`` (:data:`BLOCK_STEPS` steps at a time).
    n_steps : int
    seed : int
    first_path, n_paths, total_paths : int
        The chunk, and the size of the whole run (which fixes the last stream's length).
    log_fee : ndarray (n_assets,), optional
        Log of each asset's per-step fee multiplier (``log(1 − fee)``), added to its log return.
    """

    def __init__(self, model: ReturnModelLike, n_steps: int, seed: int, first_path: int,
                 n_paths: int, total_paths: int, log_fee: FloatArray | None = None) -> None:
        self.model, self.n_steps, self.seed = model, n_steps, seed
        self.first_path, self.n_paths, self.total_paths = first_path, n_paths, total_paths
        self.n_assets = len(model.tickers)
        self.log_fee = (np.zeros(self.n_assets) if log_fee is None
                        else np.asarray(log_fee, float))
        self.factors = gaussian_factors_of(model)

    def _streams(self) -> list[tuple[slice, slice, int, np.random.Generator]]:
        """Per overlapping stream: (rows of the chunk, rows of the stream, stream length, rng)."""
        a, b = self.first_path, self.first_path + self.n_paths
        out = []
        for lo, hi, ss in stream_seeds(self.seed, a, b):
            hi = min(hi, self.total_paths)
            s0, s1 = max(a, lo), min(b, hi)
            out.append((slice(s0 - a, s1 - a), slice(s0 - lo, s1 - lo), hi - lo,
                        np.random.default_rng(ss)))
        return out

    def __iter__(self) -> Iterator[tuple[int, FloatArray]]:
        """Every step: ``(t, growth)``."""
        for t, _, growth in self.segments(None):
            yield t, growth

    def segments(self, needed: np.ndarray | None, first_step: int = 0
                 ) -> Iterator[tuple[int, int, FloatArray]]:
        """The growth from each needed step to the next: ``(t, span, growth)``, ``growth``
        (n_assets + 1, n_paths) multiplying values from the start of step ``t`` to the start
        of step ``t + span`` (the product of the per-step factors, computed as one ``exp`` of
        the summed log changes).

        A consumer with nothing to do at the start of most steps (no cash flow, no
        rebalancing, no record) asks only for the steps it needs (``needed``, bool
        (n_steps,); step 0 is always needed; None: every step): the steps in between cost
        one addition of normals each instead of a matrix product and an ``exp``. The draws
        are the same whatever is needed.

        ``first_step`` (a needed step): start there, for a consumer resuming from its state
        at that step — only on stored paths, whose steps are read, not drawn in sequence.
        """
        starts = (np.arange(self.n_steps) if needed is None
                  else np.flatnonzero(np.asarray(needed, bool) | (np.arange(self.n_steps) == 0)))
        spans = np.diff(np.append(starts, self.n_steps))
        if first_step:
            if getattr(self.model, "monthly_growth", None) is None or first_step not in starts:
                raise ParameterError(
                    f"Segments can start at step {first_step} only on stored paths and at a "
                    "needed step.", field="first_step", value=first_step,
                    fix="resume only simulations on a ReplayModel, at a needed step")
            keep = starts >= first_step
            starts, spans = starts[keep], spans[keep]
        if self.factors is not None:
            return self._gaussian(starts, spans)
        stored = getattr(self.model, "monthly_growth", None)
        if stored is not None:  # stored paths: read their cached growth factors
            return self._replayed(stored(self.log_fee), self.model.segment_products(self.log_fee),
                                  starts, spans)
        fixed = self.model.fixed_n_paths(self.n_steps)
        steps = self._fixed() if fixed is not None else self._sampled()
        return self._aggregate(steps, starts, spans)

    def _replayed(self, monthly: FloatArray, products: dict[tuple[int, int, int, int], FloatArray],
                  starts: np.ndarray, spans: np.ndarray
                  ) -> Iterator[tuple[int, int, FloatArray]]:
        """Segments of stored paths from their per-month growth factors (n_steps, n + 1,
        paths): a one-month segment is a read-only view, a longer one their product (the
        exponential of the summed log changes, up to rounding), computed once per stored
        paths and fee and kept in ``products`` (``ReplayModel.segment_products``): a plan
        replays its stored paths in dozens of simulations that stop at the same months."""
        cols = slice(self.first_path, self.first_path + self.n_paths)
        for t, span in zip(starts.tolist(), spans.tolist()):
            if span == 1:
                yield t, span, monthly[t, :, cols]
                continue
            key = (t, span, self.first_path, self.n_paths)
            growth = products.get(key)
            if growth is None:  # the same product whenever these months are replayed
                growth = np.prod(monthly[t:t + span, :, cols], axis=0)
                growth.flags.writeable = False
                products[key] = growth
            yield t, span, growth

    def _gaussian(self, starts: np.ndarray, spans: np.ndarray
                  ) -> Iterator[tuple[int, int, FloatArray]]:
        """Segments of a Gaussian factor model: per step, the normals of every stream, one
        matrix product with the loadings, the mean and fee, one ``exp`` in place.

        A run of at least :data:`PIPELINE_MIN_NUMBERS` normals is computed ahead on a
        second thread (:func:`_pipelined`): the generators fill their buffers, and the
        product and ``exp`` run, without holding the GIL, so the consumer's month overlaps
        the next months' draws on a second core. A chunk that is one whole stream (the
        usual case) is drawn a batch of segments at a time (:data:`BATCH_NUMBERS`), others
        one segment at a time. Either way the numbers are bit for bit those of the
        one-thread loop: the generators' normals in the same order, each segment's months
        summed in order, the same matrix product of each segment.
        """
        fac = self.factors
        assert fac is not None
        p, f = self.n_paths, fac.n_factors
        load_t = np.ascontiguousarray(fac.loadings.T)  # (k, f)
        shift = np.asarray(fac.mean, float).copy()
        shift[:-1] += self.log_fee
        shift_col = shift[:, None]
        # Padded to whole matrix-kernel tiles, so every path is computed by the same kernel
        # (a tail kernel may round differently) and results are bitwise chunk-invariant.
        p_pad = -(-p // MATMUL_TILE) * MATMUL_TILE
        streams = self._streams()
        scratch = {n: np.empty((n, f)) for _, rows, n, _ in streams if rows.stop - rows.start
                   < n}

        def draw(into: FloatArray) -> None:
            for chunk_rows, rows, n, rng in streams:
                if n in scratch and rows.stop - rows.start < n:
                    buf = scratch[n]
                    rng.standard_normal(out=buf)
                    into[chunk_rows] = buf[rows]
                else:
                    rng.standard_normal(out=into[chunk_rows])

        def buffers() -> _GaussianBuffers:
            return _GaussianBuffers(np.zeros((p_pad, f)), np.zeros((p_pad, f)),
                                    np.empty((len(shift), p_pad)))

        def fill(t: int, span: int, into: _GaussianBuffers) -> FloatArray:
            z, total, growth_pad = into
            if span == 1:
                draw(z)
                acc = z
            else:
                draw(total)
                for _ in range(span - 1):
                    draw(z)
                    total += z
                acc = total
            np.matmul(load_t, acc.T, out=growth_pad)  # (k, f) @ (f, p): reads z in place
            growth_pad += shift_col if span == 1 else span * shift_col
            np.exp(growth_pad, out=growth_pad)
            return growth_pad[:, :p]

        segments = list(zip(starts.tolist(), spans.tolist()))
        if int(spans.sum()) * p * f < PIPELINE_MIN_NUMBERS or len(segments) < 2:
            one = buffers()
            for t, span in segments:
                yield t, span, fill(t, span, one)
            return
        (chunk_rows, rows, n, rng), *others = streams
        # The budget bounds every array of a batch: the normals (months × paths × factors)
        # and the growth (segments × assets + 1 × paths).
        max_months = max(1, BATCH_NUMBERS // (p_pad * max(f, len(shift))))
        if others or n != p or max_months < MIN_BATCH_MONTHS:
            # The chunk is not one whole stream, or its months are large: step by step.
            for (t, span), growth in _pipelined(segments, lambda seg, buf: fill(*seg, buf),
                                                buffers):
                yield t, span, growth
            return
        # One whole stream (the usual chunk): the worker draws a batch of consecutive
        # segments at a time — one call for the batch's normals, one matrix product per
        # segment in one call (the same product of each), one addition and one ``exp`` — so
        # it waits for the GIL a few times per batch instead of per step, which counts when
        # other threads hold the GIL (the plan's lever searches beside its Monte Carlo). The
        # same numbers: the generator's normals are one sequence whatever the calls that
        # read it, a segment's months are summed in order, and the same kernels run.
        shifts = {span: shift_col if span == 1 else span * shift_col
                  for span in set(spans.tolist())}

        def batch_buffers() -> _BatchBuffers:
            return _BatchBuffers(np.empty((max_months, p, f)), np.zeros((max_months, p_pad, f)),
                                 np.empty((max_months, len(shift), p_pad)))

        def fill_batch(batch: list[tuple[int, int]], into: _BatchBuffers) -> list[FloatArray]:
            normals, total, growth = into
            months = sum(span for _, span in batch)
            if months > max_months:  # one long segment: its months a buffer at a time
                (_, span), = batch
                drawn = 0
                while drawn < span:
                    m = min(max_months, span - drawn)
                    rng.standard_normal(out=normals[:m])
                    if drawn == 0:
                        np.add.reduce(normals[:m], axis=0, out=total[0, :p])
                    else:
                        for month in normals[:m]:
                            total[0, :p] += month
                    drawn += m
            else:
                rng.standard_normal(out=normals[:months])
                m = i = 0
                while i < len(batch):
                    if batch[i][1] == 1:  # a run of one-month segments: one copy
                        j = i
                        while j < len(batch) and batch[j][1] == 1:
                            j += 1
                        np.copyto(total[i:j, :p], normals[m:m + j - i])
                        m, i = m + j - i, j
                    else:  # the months in order, as the step-by-step sum adds them
                        span = batch[i][1]
                        np.add.reduce(normals[m:m + span], axis=0, out=total[i, :p])
                        m, i = m + span, i + 1
            k = len(batch)
            np.matmul(load_t, total[:k].transpose(0, 2, 1), out=growth[:k])
            growth[:k] += np.stack([shifts[span] for _, span in batch])
            np.exp(growth[:k], out=growth[:k])
            return [growth[i, :, :p] for i in range(k)]

        for batch, grown in _pipelined(_batches(segments, max_months), fill_batch,
                                       batch_buffers):
            for (t, span), growth in zip(batch, grown, strict=True):
                yield t, span, growth

    def _aggregate(self, steps: Iterator[tuple[FloatArray, FloatArray]], starts: np.ndarray,
                   spans: np.ndarray) -> Iterator[tuple[int, int, FloatArray]]:
        n, p = self.n_assets, self.n_paths
        growth = np.empty((n + 1, p))
        fee_col = self.log_fee[:, None]
        for t, span in zip(starts.tolist(), spans.tolist()):
            log_r, log_i = next(steps)  # (p, n), (p,)
            np.add(log_r.T, fee_col, out=growth[:n])
            growth[n] = log_i
            for _ in range(span - 1):
                log_r, log_i = next(steps)
                growth[:n] += log_r.T
                growth[:n] += fee_col
                growth[n] += log_i
            np.exp(growth, out=growth)
            yield t, span, growth

    def _blocks(self, next_block: Callable[[int], tuple[FloatArray, FloatArray]]
                ) -> Iterator[tuple[FloatArray, FloatArray]]:
        """Per step: log returns (p, n) and log inflation (p,), drawn BLOCK_STEPS at a time."""
        for t0 in range(0, self.n_steps, BLOCK_STEPS):
            log_r, log_i = next_block(min(BLOCK_STEPS, self.n_steps - t0))
            for s in range(log_r.shape[0]):
                yield log_r[s], log_i[s]

    def _fixed(self) -> Iterator[tuple[FloatArray, FloatArray]]:
        # Path k is historical window / stored path k: no randomness.
        make = getattr(self.model, "sampler")  # fixed-path models also take first_path
        sampler = make(np.random.default_rng(0), self.n_paths, first_path=self.first_path)
        return self._blocks(sampler.next)

    def _sampled(self) -> Iterator[tuple[FloatArray, FloatArray]]:
        parts = self._streams()
        streams = [(chunk_rows, rows, self.model.sampler(rng, n))
                   for chunk_rows, rows, n, rng in parts]
        whole = len(parts) == 1 and parts[0][2] == self.n_paths  # the chunk is one stream

        def next_block(nb: int) -> tuple[FloatArray, FloatArray]:
            if whole:
                return streams[0][2].next(nb)
            log_r = np.empty((nb, self.n_paths, self.n_assets))
            log_i = np.empty((nb, self.n_paths))
            for chunk_rows, rows, sampler in streams:
                r, i = sampler.next(nb)
                log_r[:, chunk_rows] = r[:, rows]
                log_i[:, chunk_rows] = i[:, rows]
            return log_r, log_i

        return self._blocks(next_block)


def log_fee_of(expense_ratio: FloatArray | None, advisory_fee_bps: float, n_assets: int,
               steps_per_year: int = 12) -> FloatArray:
    """Log of each asset's per-step fee multiplier: expense ratio and advisory fee, annual
    decimals / basis points, charged ``steps_per_year`` times a year. ndarray (n_assets,)."""
    er = np.zeros(n_assets) if expense_ratio is None else np.asarray(expense_ratio, float)
    return (np.log1p(-er / steps_per_year)
            + np.log1p(-advisory_fee_bps / 1e4 / steps_per_year))


# --------------------------------------------------------------------------- stepping

Policy = Callable[[int, FloatArray], FloatArray]
"""``policy(t, wealth) -> weights``: called at every rebalancing step ``t`` with each path's
wealth at the start of the step, before its cash flow (nominal, ndarray (p,)); returns target
weights, ndarray (n_assets,) for all paths or (n_assets, p) per path (columns sum to 1), or —
for a policy holding one asset per path (the goal DP's portfolios) — an integer ndarray (p,)
of asset indices, which the stepping gathers instead of multiplying (n_assets, p) weights."""


@dataclass(frozen=True)
class PortfolioPaths:
    """Per-path summaries of :func:`simulate_portfolio`.

    Attributes
    ----------
    wealth_nominal : ndarray (n_records + 1, n_paths)
        Wealth at the start of every ``record_every``-th step (before its cash flow), then at
        the end of the horizon; currency units of the day.
    price_level : ndarray (n_records + 1, n_paths)
        The price level at the same dates (1 today).
    paid_nominal : ndarray (n_paths,)
        Withdrawals actually paid, summed (currency of the day).
    shortfall : ndarray (n_paths,) of bool
        Some withdrawal could not be paid in full.
    alive : ndarray (n_paths,) of bool
        Wealth stayed above zero after every cash flow (the goal DP's survival).
    """

    wealth_nominal: FloatArray
    price_level: FloatArray
    paid_nominal: FloatArray
    shortfall: np.ndarray
    alive: np.ndarray

    @property
    def n_paths(self) -> int:
        return int(self.wealth_nominal.shape[1])

    @property
    def real_wealth(self) -> FloatArray:
        """Wealth in today's money, ndarray (n_records + 1, n_paths)."""
        return self.wealth_nominal / self.price_level

    @property
    def final_wealth(self) -> FloatArray:
        """Nominal wealth at the end, ndarray (n_paths,)."""
        return self.wealth_nominal[-1]

    def probability(self, event: np.ndarray) -> tuple[float, float]:
        """Share of paths where ``event`` (bool, (n_paths,)) holds, and its Monte Carlo
        standard error ``sqrt(p (1 − p) / n)``."""
        return probability(event)


def probability(event: np.ndarray) -> tuple[float, float]:
    """Share of True in ``event`` and its standard error ``sqrt(p (1 − p) / n)``."""
    p = float(np.mean(event))
    return p, float(np.sqrt(p * (1 - p) / event.size))


def _chunk_buffers(p: int, n_steps: int, record_every: int
                   ) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray, np.ndarray,
                              FloatArray]:
    """A chunk's recorded wealth and price index ((records + 1, p) each), paid amounts,
    shortfall and alive flags (p,) and the price index (p,), at their starting values."""
    n_rec = -(-n_steps // record_every)
    return (np.empty((n_rec + 1, p)), np.empty((n_rec + 1, p)), np.zeros(p),
            np.zeros(p, dtype=bool), np.ones(p, dtype=bool), np.ones(p))


def _portfolio_chunk(stream: GrowthStream, n_steps: int, weights: FloatArray | None,
                     policy: Policy | None, initial: float, flows: FloatArray,
                     flows_real: bool, rebalance_every: int, record_every: int
                     ) -> PortfolioPaths:
    n, p = stream.n_assets, stream.n_paths
    rec_w, rec_p, paid, short, alive, price = _chunk_buffers(p, n_steps, record_every)

    def target_at(t: int, wealth: FloatArray) -> FloatArray:
        """Target weights of step t, ndarray (n, 1) or (n, p)."""
        if policy is None:
            assert weights is not None
            return weights[t][:, None]
        return np.asarray(policy(t, wealth), float).reshape(n, -1)

    if policy is not None:
        first = np.asarray(policy(0, np.full(p, float(initial))))
        if first.dtype.kind in "iu" and first.shape == (p,):
            return _one_asset_chunk(stream, n_steps, policy, first, initial, flows,
                                    flows_real, rebalance_every, record_every)
    target = target_at(0, np.full(p, float(initial)))
    hold = np.empty((n, p))
    hold[:] = target * initial
    steps = np.arange(n_steps)
    needed = (steps % record_every == 0) | (flows != 0)
    if rebalance_every:
        needed |= steps % rebalance_every == 0
    for t, _, growth in stream.segments(needed):
        wealth = None
        if t % record_every == 0:
            wealth = hold.sum(axis=0)
            rec_w[t // record_every] = wealth
            rec_p[t // record_every] = price
        c = float(flows[t])
        policy_step = policy is not None and t % rebalance_every == 0
        calendar = policy is None and rebalance_every > 0 and t % rebalance_every == 0 and t > 0
        if c != 0 or policy_step or calendar:
            start = hold.sum(axis=0) if wealth is None else wealth
            after = start
            if c > 0:
                amount = c * price if flows_real else np.full(p, c)
                if policy is None:
                    target = target_at(t, start)
                hold += target * amount
                after = start + amount
                alive &= after > 0
            elif c < 0:
                need = -c * price if flows_real else np.full(p, -c)
                take = np.minimum(need, np.maximum(start, 0.0))
                short |= take < need * (1 - 1e-12)
                alive &= start - need > 0
                paid += take
                hold *= np.where(start > 0, 1.0 - take / np.where(start > 0, start, 1.0), 0.0)
                after = start - take
            if policy_step:
                target = target_at(t, start)
                hold[:] = target * np.where(alive, after, 0.0)
            elif calendar:
                target = target_at(t, start)
                hold[:] = target * after
        hold *= growth[:n]
        price *= growth[n]
    rec_w[-1] = hold.sum(axis=0)
    rec_p[-1] = price
    return PortfolioPaths(rec_w, rec_p, paid, short, alive)


def _one_asset_chunk(stream: GrowthStream, n_steps: int, policy: Policy, first: IntArray,
                     initial: float, flows: FloatArray, flows_real: bool, rebalance_every: int,
                     record_every: int) -> PortfolioPaths:
    """:func:`_portfolio_chunk` for a policy returning one asset index per path: each path's
    wealth (p,) and the index it holds, the step's growth gathered at that index. The same
    arithmetic as the weights form (a one-hot column only adds zeros), so the same numbers."""
    n, p = stream.n_assets, stream.n_paths
    rec_w, rec_p, paid, short, alive, price = _chunk_buffers(p, n_steps, record_every)
    cols = np.arange(p)
    held = first.astype(np.intp)
    value = np.full(p, float(initial))
    steps = np.arange(n_steps)
    needed = (steps % record_every == 0) | (flows != 0) | (steps % rebalance_every == 0)
    for t, _, growth in stream.segments(needed):
        if t % record_every == 0:
            rec_w[t // record_every] = value
            rec_p[t // record_every] = price
        c = float(flows[t])
        policy_step = t % rebalance_every == 0
        if c != 0 or policy_step:
            start = value
            after = start
            if c > 0:
                amount = c * price if flows_real else np.full(p, c)
                value = start + amount
                after = value
                alive &= after > 0
            elif c < 0:
                need = -c * price if flows_real else np.full(p, -c)
                take = np.minimum(need, np.maximum(start, 0.0))
                short |= take < need * (1 - 1e-12)
                alive &= start - need > 0
                paid += take
                value = start * np.where(start > 0, 1.0 - take / np.where(start > 0, start, 1.0),
                                         0.0)
                after = start - take
            if policy_step:
                held = np.asarray(policy(t, start)).astype(np.intp, copy=False)
                value = np.where(alive, after, 0.0)
        value = value * growth[held, cols]
        price *= growth[n]
    rec_w[-1] = value
    rec_p[-1] = price
    return PortfolioPaths(rec_w, rec_p, paid, short, alive)


def simulate_portfolio(model: ReturnModelLike, n_steps: int, *,
                       weights: FloatArray | None = None, policy: Policy | None = None,
                       initial_wealth: float = 1.0, cash_flows: FloatArray | None = None,
                       cash_flows_real: bool = True, rebalance_every: int = 12,
                       log_fee: FloatArray | None = None, record_every: int = 12,
                       n_paths: int = 10_000, seed: int = 0,
                       chunk_size: int = DEFAULT_CHUNK_SIZE) -> PortfolioPaths:
    """Step one portfolio through cash flows under a rebalancing policy.

    Order of events at the start of step ``t``: record wealth and price level (every
    ``record_every`` steps), the cash flow (a contribution buys the step's target weights; a
    withdrawal sells pro rata, at most the wealth there is), rebalancing (to ``weights[t]``
    every ``rebalance_every`` steps after the first, or to the policy's weights every
    ``rebalance_every`` steps including the first), then the step's returns net of fees.

    Parameters
    ----------
    model : return model
        Its assets are the portfolio's assets, in order.
    n_steps : int
        Steps simulated (months for the project's monthly models).
    weights : ndarray (n_assets,) or (n_steps, n_assets), optional
        Fixed target weights, or a glide path (row ``t`` the target in step ``t``).
    policy : Policy, optional
        Instead of ``weights``: a callback choosing the weights from wealth (the goal DP).
    initial_wealth : float
        Currency units today.
    cash_flows : ndarray (n_steps,), optional
        Contribution (+) or withdrawal (−) at the start of each step; today's money when
        ``cash_flows_real`` (raised with each path's price level), else nominal.
    rebalance_every : int
        Steps between rebalancings (0 never, with fixed weights).
    log_fee : ndarray (n_assets,), optional
        Per-step log fee multipliers (:func:`log_fee_of`).
    record_every : int
        Steps between wealth records (12: yearly for a monthly model).
    n_paths, seed, chunk_size : int
        Paths (ignored when the model fixes them), the seed of the common random numbers and
        the paths per chunk (memory only: results do not depend on it).

    Returns
    -------
    PortfolioPaths
    """
    n = len(model.tickers)
    if (weights is None) == (policy is None):
        raise ParameterError("Give either fixed weights (or a glide path) or a policy.",
                             field="weights", fix="pass exactly one of weights= and policy=")
    w_path = None
    if weights is not None:
        w = np.asarray(weights, float)
        if w.shape not in ((n,), (n_steps, n)):
            raise ParameterError(f"weights has shape {w.shape}; expected ({n},) or a glide path "
                                 f"({n_steps}, {n}).", field="weights", value=w.shape)
        w_path = np.broadcast_to(w, (n_steps, n))
    flows = np.zeros(n_steps) if cash_flows is None else np.asarray(cash_flows, float)
    if flows.shape != (n_steps,):
        raise ParameterError(f"cash_flows must have shape ({n_steps},); got {flows.shape}.",
                             field="cash_flows", value=flows.shape)
    if record_every <= 0 or rebalance_every < 0:
        raise ParameterError("record_every must be > 0 and rebalance_every >= 0.",
                             field="record_every", value=(record_every, rebalance_every))
    if policy is not None and rebalance_every == 0:
        rebalance_every = 1
    fixed = model.fixed_n_paths(n_steps)
    n_paths = fixed if fixed is not None else n_paths
    parts = [_portfolio_chunk(GrowthStream(model, n_steps, seed, a, p, n_paths, log_fee),
                              n_steps, w_path, policy, initial_wealth, flows, cash_flows_real,
                              rebalance_every, record_every)
             for a, p in path_chunks(n_paths, chunk_size)]
    return PortfolioPaths(*(np.concatenate([getattr(o, f) for o in parts], axis=-1)
                            for f in ("wealth_nominal", "price_level", "paid_nominal",
                                      "shortfall", "alive")))


def price_paths(model: ReturnModelLike, n_steps: int, *, n_paths: int, seed: int = 0,
                log_fee: FloatArray | None = None) -> FloatArray:
    """Every step of a few paths, as price indices: for consumers that replay one path at a
    time (the tax-loss-harvest backtest trades lots along each path).

    Returns
    -------
    ndarray (n_steps + 1, n_assets + 1, n_paths)
        Total-return price index of each asset (net of ``log_fee``), then the price level;
        1 at step 0. The same common random numbers as every other run with ``seed``.
        Memory is ``8 (n_steps + 1)(n_assets + 1) n_paths`` bytes: meant for tens of paths.
    """
    fixed = model.fixed_n_paths(n_steps)
    n_paths = fixed if fixed is not None else n_paths
    out = np.empty((n_steps + 1, len(model.tickers) + 1, n_paths))
    out[0] = 1.0
    for a, p in path_chunks(n_paths, DEFAULT_CHUNK_SIZE):
        for t, growth in GrowthStream(model, n_steps, seed, a, p, n_paths, log_fee):
            np.multiply(out[t, :, a:a + p], growth, out=out[t + 1, :, a:a + p])
    return out
