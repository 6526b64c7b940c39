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


def _null_series(rng, n_series, weeks=157, dispersion=1.0):
    """Series with no rise at all: a random level and season each, Poisson or over-dispersed (gamma mixed)."""
    series = {}
    for i in range(n_series):
        base, amplitude = rng.uniform(2.0, 15.0), rng.uniform(0.0, 0.8)
        means = np.array([seasonal_mean(w, base, amplitude) for w in range(weeks)])
        if dispersion > 1:
            shape = means / (dispersion - 1)
            means = rng.gamma(shape, means / shape)
        series[i] = [int(v) for v in rng.poisson(means)]
    return series


def test_false_alarm_rate_over_many_null_series_is_controlled():
    """Over 60 panels of 20 null series each (1,200 series, half over-dispersed):

    * per series, the share of p-values at or below 5 % must not exceed 5 % by more than chance allows:
      if the true rate were 5 %, more than ``binom.ppf(0.999, 1200, 0.05)`` (= 83) such series would happen
      with probability below 0.1 %, so that count fails the test;
    * per panel, Benjamini–Hochberg at 5 % must leave at most 5 % of the panels with any alarm at all (under
      the global null FDR control bounds that chance by alpha); with 60 panels the same 0.1 % bound allows
      ``binom.ppf(0.999, 60, 0.05)`` (= 9) panels.
    """
    from scipy.stats import binom

    rng = np.random.default_rng(20261202)
    panels, per_panel, small_p, series_total, panels_alarmed = 60, 20, 0, 0, 0
    for panel in range(panels):
        results = detect_rises(
            _null_series(rng, per_panel, dispersion=1.0 if panel % 2 else 2.0), min_observed=0
        )
        series_total += len(results)
        small_p += sum(r.p_value <= 0.05 for r in results)
        panels_alarmed += any(r.flagged for r in results)
    assert series_total == panels * per_panel
    assert small_p <= binom.ppf(0.999, series_total, 0.05), small_p / series_total
    assert panels_alarmed <= binom.ppf(0.999, panels, 0.05), panels_alarmed
    assert small_p > 0  # the test is not blind: some null series do come out small by chance


def test_a_past_outbreak_does_not_hide_this_weeks_rise():
    rng = np.random.default_rng(5)
    series, offset = generate(rng, n_series=1, weeks=157)
    counts = series[("cat", 0)]
    for week in range(60, 66):  # a six-week outbreak a year and a half ago
        counts[week] += 40
    peak = seasonal_mean(13, 6.0, 0.8)
    counts[-1] = int(round(peak * 3))
    result = detect_rises({"x": counts}, week_of_year_offset=offset)[0]
    assert result.flagged and abs(result.expected - peak) / peak < 0.3


def test_no_trend_is_extrapolated_from_noise():
    rng = np.random.default_rng(9)
    flat = [int(v) for v in rng.poisson(8.0, size=120)]
    mean, *_ = baseline(flat)
    assert abs(mean - 8.0) < 1.5
    rising = [int(v) for v in rng.poisson(np.linspace(4, 16, 120))]
    mean, *_ = baseline(rising)
    assert mean > 12  # a real trend is followed
