"""Choose the bundled cohort's draws: the published tolerances, met by choice of seed.

The generator never rescales a sample, so a 1,347-patient draw misses the published
numbers by its sampling error (the TAV mean, with an SE of ~2.4 mm³ against a tolerance
of 0.2 mm³, most of all). The bundled cohort is therefore a *chosen* draw: for each random
stream in generation order (``draw.BLOCKS``), the first draw number whose variables meet
their published tolerances (``published_summary.json``), given the draws already chosen.
A stream without published variables keeps draw 0. The result goes into
``params.BUNDLED_DRAWS``.

Tolerances (as ``tests/unit/cohort/test_published_reproduction.py`` checks them): means
within 0.2, SDs within 0.5, percentages within 1 point, p-values of the Welch and Student
t-tests and of chi-square with and without Yates' correction in the published bracket;
ΔPAV LS means within 0.03, their SEs within 0.02, spotty - none within 0.04 of 0.41 with
p in [0.001, 0.005], residual SD in [1.9, 2.4], and the intensive LDL-C / SBP benefit
negative in both groups and smaller with spotty calcium. The ΔPAV LS means and their p
must moreover round to the printed +0.43 / +0.02 and 0.002, as the Overview page shows
them (2 and 3 decimals).

Run: ``python -m analysis.cohort.seed_scan`` (prints the draws and how many were tried).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from scipy import stats

from analysis.cohort.calibration import default_design, delta_constants, intensive_effect, ls_fit
from analysis.cohort.draw import BLOCK_FUNCS, NONE, SPOTTY, State, block_rng, delta_block
from analysis.cohort.moments import SimulationError
from analysis.cohort.params import PARAMS, SEED, SimulationParams

#: Published p-value bracket of each variable (age / HDL-C p = 0.001, PAV / TAV p < 0.001;
#: male 68% vs 54% gives p < 0.001 at these n, not the published 0.01: the % are matched).
_BRACKET = {"age": (0.001, 0.01), "hdl": (0.001, 0.01), "pav": (0.0, 0.001),
            "tav": (0.0, 0.001), "male": (0.0, 0.001), "diabetes": (0.01, 0.05),
            "prior_mi": (0.001, 0.01)}


def _in(p: float, bracket: tuple[float, float]) -> bool:
    return bracket[0] <= p < bracket[1]


def _means_ok(states: list[State], name: str, means: tuple, sds: tuple) -> bool:
    """Group means within 0.2 and SDs within 0.5 of the published ones, p in its bracket."""
    a, b = states[SPOTTY][name], states[NONE][name]
    if abs(a.mean() - means[SPOTTY]) > 0.2 or abs(b.mean() - means[NONE]) > 0.2:
        return False
    if abs(a.std(ddof=1) - sds[SPOTTY]) > 0.5 or abs(b.std(ddof=1) - sds[NONE]) > 0.5:
        return False
    return all(_in(stats.ttest_ind(a, b, equal_var=ev).pvalue, _BRACKET[name])
               for ev in (False, True))


def _percent_ok(states: list[State], name: str, pcts: tuple) -> bool:
    """Group percentages within 1 point; chi-square p (with and without Yates) in bracket."""
    a, b = states[SPOTTY][name], states[NONE][name]
    if abs(100 * a.mean() - pcts[SPOTTY]) > 1.0 or abs(100 * b.mean() - pcts[NONE]) > 1.0:
        return False
    table = np.array([[a.sum(), (~a).sum()], [b.sum(), (~b).sum()]])
    return all(_in(stats.chi2_contingency(table, correction=y)[1], _BRACKET[name])
               for y in (True, False))


def delta_ok(states: list[State], p: SimulationParams) -> bool:
    """The ΔPAV tolerances of the default adjustment model and the therapy statement."""
    n_trials = len(p.trials)
    y = np.concatenate([st["pav_fu"] - st["pav"] for st in states[:2]])
    fit = ls_fit(default_design(states[:2], n_trials), y)
    (m0, m1), (s0, s1) = fit.ls_mean, fit.ls_se
    if abs(m1 - p.dpav_ls_mean[SPOTTY]) > 0.03 or abs(m0 - p.dpav_ls_mean[NONE]) > 0.03:
        return False
    if abs(s1 - 0.07) > 0.02 or abs(s0 - 0.11) > 0.02 or not 1.9 <= fit.sigma <= 2.4:
        return False
    diff = m1 - m0
    p_diff = 2 * stats.t.sf(abs(diff) / fit.diff_se, fit.df)
    if abs(diff - 0.41) > 0.04 or not 0.001 <= p_diff <= 0.005:
        return False
    # as the Overview shows them (2 and 3 decimals), the numbers are the printed ones
    if (round(m1, 2), round(m0, 2)) != (p.dpav_ls_mean[SPOTTY], p.dpav_ls_mean[NONE]) \
            or round(p_diff, 3) != p.dpav_p:
        return False
    return therapy_attenuated(states, p)


def therapy_attenuated(states: list[State], p: SimulationParams) -> bool:
    """Intensive LDL-C and SBP control: benefit < 0 in both groups, smaller with spotty."""
    for column, cut in (("ldl", p.therapy_ldl_cut), ("sbp", p.therapy_sbp_cut)):
        eff = [intensive_effect(st, column, cut, len(p.trials), st["pav_fu"] - st["pav"])
               for st in states[:2]]
        if not (eff[NONE] < 0 and eff[SPOTTY] < 0 and abs(eff[SPOTTY]) < abs(eff[NONE])):
            return False
    return True


def _checks(p: SimulationParams) -> dict[str, Callable[[list[State]], bool]]:
    return {
        "age": lambda s: _means_ok(s, "age", p.age_mean, (p.age_sd, p.age_sd)),
        "sex": lambda s: _percent_ok(s, "male", p.male_pct),
        "diabetes": lambda s: _percent_ok(s, "diabetes", p.diabetes_pct),
        "prior_mi": lambda s: _percent_ok(s, "prior_mi", p.prior_mi_pct),
        "hdl": lambda s: _means_ok(s, "hdl", p.hdl_mean, p.hdl_sd),
        "pav": lambda s: (_means_ok(s, "pav", p.pav_mean, p.pav_sd)
                          and abs(s[SPOTTY]["pav"].mean() - s[NONE]["pav"].mean() - 7) <= 0.3),
        "tav": lambda s: _means_ok(s, "tav", p.tav_mean, p.tav_sd),
        "delta": lambda s: delta_ok(s, p),
    }


def scan(seed: int = SEED, p: SimulationParams = PARAMS, max_draws: int = 200_000
         ) -> tuple[dict[str, int], dict[str, int]]:
    """The first acceptable draw of each stream, in generation order.

    Returns
    -------
    draws : dict
        Draw number per scanned stream (only those other than 0).
    tried : dict
        Number of draws tried per scanned stream.

    Raises
    ------
    SimulationError
        If a stream has no acceptable draw within ``max_draws``.
    """
    checks = _checks(p)
    sizes = (p.n_none, p.n_spotty)
    states: list[State] = [{"n": n} for n in sizes]
    c_none, c_spotty, sigma = delta_constants(p)
    draws: dict[str, int] = {}
    tried: dict[str, int] = {}
    for block in (*BLOCK_FUNCS, "delta"):
        for d in range(max_draws):
            for g, st in zip((NONE, SPOTTY), states, strict=True):
                rng = block_rng(seed, block, g, d)
                if block == "delta":
                    delta_block(st, rng, g, p, (c_none, c_spotty)[g], sigma)
                else:
                    BLOCK_FUNCS[block](st, rng, g, p)
            if block not in checks or checks[block](states):
                break
        else:
            raise SimulationError(f"No draw of '{block}' within {max_draws} meets the "
                                  f"published tolerances; widen the search.")
        if block in checks:
            tried[block] = d + 1
        if d:
            draws[block] = d
    return draws, tried


def main(argv: list[str] | None = None) -> int:
    """Print the chosen draws (for ``params.BUNDLED_DRAWS``) and the draws tried."""
    ap = argparse.ArgumentParser(prog="python -m analysis.cohort.seed_scan",
                                 description="Choose the bundled cohort's draws.")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    draws, tried = scan(args.seed)
    print("BUNDLED_DRAWS =", draws)
    print("tried:", tried)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
