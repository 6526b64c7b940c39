"""The rise test on generated weekly series: planted spikes are found, seasonal peaks are not flagged."""

import math

import numpy as np

from grassroots.insights.detection import WEEKS_PER_YEAR, baseline, detect_rises, exceedance_p


def seasonal_mean(week: int, base: float, amplitude: float) -> float:
    return base * math.exp(amplitude * math.sin(2 * math.pi * week / WEEKS_PER_YEAR))


def generate(rng, n_series: int, weeks: int, base: float = 6.0, amplitude: float = 0.8) -> dict:
    """Poisson series with a strong annual season; the last week sits near the seasonal peak."""
    # Week index 13 of a 52-week cycle is the sine's peak; end there.
    offset = 13 - (weeks - 1) % round(WEEKS_PER_YEAR)
    series = {}
    for i in range(n_series):
        means = [seasonal_mean(w + offset, base, amplitude) for w in range(weeks)]
        series[("cat", i)] = [int(v) for v in rng.poisson(means)]
    return series, offset


def test_seasonal_peaks_without_spikes_are_not_flagged():
    rng = np.random.default_rng(20240601)
    series, offset = generate(rng, n_series=80, weeks=157)
    peak = seasonal_mean(13, 6.0, 0.8)
    annual_mean = np.mean([seasonal_mean(w, 6.0, 0.8) for w in range(52)])
    # A fixed "twice the usual" threshold would cry wolf here every year.
    assert peak > 2 * annual_mean * 0.9
    results = detect_rises(series, week_of_year_offset=offset)
    assert len(results) == 80
    assert [r.key for r in results if r.flagged] == []
    # The baseline follows the season: the expected count in the peak week is close to the true peak.
    expected = np.median([r.expected for r in results])
    assert abs(expected - peak) / peak < 0.2
    assert all(r.seasonal for r in results)


def test_planted_spikes_are_found_among_many_series():
    rng = np.random.default_rng(7)
    series, offset = generate(rng, n_series=80, weeks=157)
    planted = [("cat", 3), ("cat", 41), ("cat", 77)]
    peak = seasonal_mean(13, 6.0, 0.8)
    for key in planted:
        series[key][-1] = int(round(peak * 3))
    results = detect_rises(series, week_of_year_offset=offset)
    flagged = {r.key for r in results if r.flagged}
    assert flagged == set(planted)
    top = results[0]
    assert top.flagged and top.observed > top.upper and top.q_value <= 0.05


def test_spike_in_a_quiet_season_is_found_and_small_counts_are_not():
    rng = np.random.default_rng(11)
    series, offset = generate(rng, n_series=20, weeks=120)
    series[("cat", 0)][-1] += 25
    series[("tiny", 0)] = [0] * 119 + [2]  # two requests where none were usual: below the minimum count
    results = detect_rises(series, week_of_year_offset=offset)
    flagged = {r.key for r in results if r.flagged}
    assert ("cat", 0) in flagged and ("tiny", 0) not in flagged


def test_short_history_has_no_seasonal_terms_and_too_short_is_skipped():
    mean, variance, dispersion, seasonal = baseline([4, 5, 6, 5, 4, 6, 5, 5, 4, 9])
    assert not seasonal and 3 < mean < 7 and variance >= mean and dispersion >= 1
    assert detect_rises({"short": [1, 2, 3]}) == []


def test_exceedance_probability():
    assert exceedance_p(0, 3.0, 3.0) == 1.0
    assert exceedance_p(3, 0.0, 0.0) == 0.0
    poisson = exceedance_p(10, 3.0, 3.0)
    overdispersed = exceedance_p(10, 3.0, 9.0)
    assert 0 < poisson < overdispersed < 1
