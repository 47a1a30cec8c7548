# SPDX-License-Identifier: GPL-2.0
"""make bench's statistics: medians and ratios of medians with percentile
bootstrap confidence intervals (seeded: the same samples give the same
interval)."""

import random
import statistics


def _quantile(sorted_xs, q):
    """Linear-interpolation quantile of a sorted list."""
    pos = q * (len(sorted_xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_xs) - 1)
    return sorted_xs[lo] + (sorted_xs[hi] - sorted_xs[lo]) * (pos - lo)


def bootstrap(stat, samples, n_boot=10000, seed=1, conf=0.95, paired=False):
    """Percentile bootstrap: stat(*resampled) over n_boot resamplings, with
    replacement, same sizes; returns [lo, hi] of the central `conf` interval.
    Sample sets are resampled independently, or, with paired=True (sets of
    equal length whose i-th elements belong together, e.g. the same
    repetition), by drawing the same indices for all. Seeded: same samples,
    same interval."""
    rng = random.Random(seed)
    if paired:
        n = len(samples[0])
        if any(len(s) != n for s in samples):
            raise ValueError("paired bootstrap needs samples of equal length")

        def draw():
            idx = rng.choices(range(n), k=n)
            return [[s[i] for i in idx] for s in samples]
    else:
        def draw():
            return [rng.choices(s, k=len(s)) for s in samples]
    dist = sorted(stat(*draw()) for _ in range(n_boot))
    return [_quantile(dist, (1 - conf) / 2), _quantile(dist, 1 - (1 - conf) / 2)]


def median_ci(samples, **kw):
    """The median of samples with its 95 % bootstrap confidence interval."""
    return {"median": statistics.median(samples), "ci95": bootstrap(statistics.median, [samples], **kw)}


def ratio(a_samples, b_samples, paired=False, **kw):
    """median(a) / median(b) with its 95 % bootstrap confidence interval, or
    None if either side has no samples. paired=True: a[i] and b[i] were
    measured together (same repetition, one after the other), so that
    resampling repetitions keeps what drift they share out of the interval."""
    if not a_samples or not b_samples:
        return None

    def r(a, b):
        return statistics.median(a) / statistics.median(b)
    return {"median": r(a_samples, b_samples),
            "ci95": bootstrap(r, [a_samples, b_samples], paired=paired, **kw)}
