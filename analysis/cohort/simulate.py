"""The simulated cohort: a seeded, vectorised generator calibrated to the publication.

The bundled data set is **simulated** (``schema.SIMULATED_LABEL``): it reproduces the
published summaries of Kataoka et al. (JACC 2012) but holds no patient data.

How a cohort is made (all steps vectorised over patients; parameters and the reason for
each value are in ``analysis/simulation_params.py``):

1. Trial and follow-up; latent normal scores for age, sex, diabetes, prior MI, HDL-C and
   an atheroma-burden factor.
2. A spotty-calcification score = weighted sum of those latents + noise (older, male,
   diabetic, prior MI, lower HDL-C, more atheroma -> more likely spotty). The patients
   are ranked by it and exactly ``n_spotty_group`` top-ranked ones are spotty (922 of
   1,347 by default; proportional at other ``n``), the rest have no calcium (a requested
   number ``n_other`` of the very top get wide / long calcium, outside the comparison).
3. Exact moment matching within each group (documented calibration, keeps structure):
   a binary risk factor is the top-k of its latent within the group, with k the
   published percentage of the group; age, HDL-C, baseline PAV and TAV are generated
   with their structural dependences and then standardised within the group (an affine
   map, so within-group associations are unchanged) to the published mean and SD.
4. Other risk factors, laboratory values, blood pressure and medication follow from
   those (e.g. on-treatment LDL-C = baseline LDL-C lowered by the statin intensity).
5. PAV change = trial + baseline PAV + diabetes + HDL-C + LDL-C gradient + group +
   group-specific benefit of intensive LDL-C (< 70 mg/dl) and SBP (< 120 mmHg) control
   (smaller with spotty calcium) + noise. Calibration: the noise is scaled so the
   residual SD of the default adjustment model (OLS ``delta_pav ~ group + pav_baseline +
   trial + age + sex + diabetes + prior_mi + hdl_c``) equals ``dpav_residual_sd``, then
   each group is shifted by a constant so the model's LS means (proportional weights)
   equal the published +0.43 (spotty) and +0.02 (none). A constant shift per group
   moves only that group's LS mean, so the structure is kept.
6. Values are rounded as reported (PAV 2 decimals, TAV 1, labs integers or 1 decimal)
   after calibration of the covariates, and the lesion table (one row per calcium
   deposit) is built with ``np.repeat`` so that ``derive.group_from_lesions`` gives back
   each patient's group and ``n_spotty``.

Command line::

    python -m analysis.cohort.simulate --n 100000 --seed 7 --out big.parquet --lesions-out l.parquet
    python -m analysis.cohort.simulate --bundled      # rewrite data/ (the committed cohort)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import ndtri

from analysis.cohort.params import N_PUBLISHED, PARAMS, SEED, SimulationParams
from analysis.data import schema
from analysis.errors import ExplorerError
from analysis.settings import BUNDLED_COHORT, BUNDLED_LESIONS, DATA_DIR
from analysis.stats.linear.fit import blas_limit, column_rank, ols, r_factor

__all__ = ["SEED", "SimulationError", "simulate_cohort", "write_cohort", "write_lesions",
           "write_bundled", "main"]

#: Smallest cohort the calibration can be fitted on.
MIN_N = 40
_NONE, _SPOTTY, _OTHER = 0, 1, 2  # codes of schema.GROUP's levels ("none", "spotty", "other")
_SUFFIXES = (".csv", ".parquet", ".pq")


class SimulationError(ExplorerError):
    """The simulation was asked for something it cannot produce."""


# ----------------------------------------------------------------------------------------
# small vectorised helpers
# ----------------------------------------------------------------------------------------
def _std(x: np.ndarray) -> np.ndarray:
    """Standardise to mean 0, SD 1."""
    return (x - x.mean()) / x.std()


def _match_moments(x: np.ndarray, code: np.ndarray, means, sds) -> np.ndarray:
    """Affine map of ``x`` within groups none/spotty to exact mean and SD (ddof=1)."""
    out = x.astype(float, copy=True)
    for g in (_NONE, _SPOTTY):
        idx = code == g
        if idx.sum() < 2:
            continue
        v = x[idx]
        sd = v.std(ddof=1)
        out[idx] = means[g] + (v - v.mean()) * (sds[g] / sd if sd > 0 else 0.0)
    return out


def _match_clip(x: np.ndarray, code: np.ndarray, means, sds, lo: float, hi: float) -> np.ndarray:
    """``_match_moments`` then clip to ``[lo, hi]``, repeated so the clip barely moves the moments."""
    out = x
    for _ in range(3):
        out = np.clip(_match_moments(out, code, means, sds), lo, hi)
    return out


def _round_within(x: np.ndarray, code: np.ndarray, decimals: int = 0) -> np.ndarray:
    """Round to ``decimals`` keeping each group's sum (largest-remainder rounding).

    Plain rounding moves a group mean by up to a few hundredths; this rounds up exactly
    the values with the largest remainders so each group's mean is kept to within
    half a unit of the last decimal divided by the group size.
    """
    scale = 10.0 ** decimals
    v = x * scale
    out = np.floor(v)
    for g in (_NONE, _SPOTTY, _OTHER):
        idx = np.flatnonzero(code == g)
        if idx.size == 0:
            continue
        frac = v[idx] - out[idx]
        k = int(round(v[idx].sum() - out[idx].sum()))
        if k > 0:
            out[idx[np.argpartition(-frac, k - 1)[:k]]] += 1.0
    return np.round(out / scale, decimals)


def _top_k_within(latent: np.ndarray, code: np.ndarray, pcts, overall_pct: float) -> np.ndarray:
    """Boolean: within each group the top ``round(pct% x n_group)`` latent values are True."""
    out = np.zeros(latent.shape[0], dtype=bool)
    for g in (_NONE, _SPOTTY, _OTHER):
        idx = np.flatnonzero(code == g)
        if idx.size == 0:
            continue
        pct = pcts[g] if g in (_NONE, _SPOTTY) else overall_pct
        k = int(round(pct / 100.0 * idx.size))
        if k > 0:
            out[idx[np.argpartition(-latent[idx], k - 1)[:k]]] = True
    return out


def _probit(rng: np.random.Generator, pct: float, linear: np.ndarray) -> np.ndarray:
    """Binary with prevalence near ``pct``% whose log-odds-like latent is ``linear``."""
    lat = linear - linear.mean() + rng.standard_normal(linear.shape[0])
    cut = -ndtri(pct / 100.0) * np.sqrt(1.0 + linear.var())
    return lat > cut


def _plausible(name: str, x: np.ndarray) -> np.ndarray:
    """Clip to the dictionary's plausible range of ``name`` (a guard for extreme draws)."""
    lo, hi = schema.get(name).plausible_range
    return np.clip(x, lo, hi)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _ids(n: int) -> np.ndarray:
    width = max(4, len(str(n)))
    return np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), width))


# ----------------------------------------------------------------------------------------
# calibration of PAV change (default adjustment model, LS means with proportional weights)
# ----------------------------------------------------------------------------------------
def _design(code, pav, trial_code, n_trials, age, male, diabetes, prior_mi, hdl) -> np.ndarray:
    """Design matrix of the default adjustment model (spotty indicator in column 1)."""
    X = np.empty((code.shape[0], 3 + (n_trials - 1) + 5))  # filled in place: no temporaries
    X[:, 0] = 1.0
    X[:, 1] = code == _SPOTTY
    X[:, 2] = pav
    for t in range(1, n_trials):
        X[:, 2 + t] = trial_code == t
    for j, col in enumerate((age, male, diabetes, prior_mi, hdl), start=2 + n_trials):
        X[:, j] = col
    return X


def _ols(X: np.ndarray, v: np.ndarray):
    """statsmodels OLS results of ``v`` on ``X`` (BLAS threads capped)."""
    with blas_limit():
        r_aug = r_factor(X, v)
        if column_rank(r_aug[:-1, :-1]) == X.shape[1]:
            return ols(r_aug, len(v))
        return sm.OLS(v, X).fit()


def _calibrate_delta(struct: np.ndarray, noise: np.ndarray, X: np.ndarray,
                     code: np.ndarray, p: SimulationParams) -> np.ndarray:
    """Scale ``noise`` to the target residual SD, then shift each group to its LS mean.

    The OLS fits are statsmodels' (:func:`analysis.stats.linear.fit.ols`; its
    pseudo-inverse fit when the design is rank-deficient).
    """
    fits = [_ols(X, v) for v in (struct, noise)]
    df = fits[0].df_resid
    rs, re_ = (v - X @ f.params for v, f in zip((struct, noise), fits, strict=True))
    a, b, c = rs @ rs, rs @ re_, re_ @ re_
    target = p.dpav_residual_sd ** 2 * df
    disc = b * b - c * (a - target)
    if disc < 0 or c <= 0:
        raise SimulationError("The PAV-change calibration failed; use a larger n or another seed.")
    scale = (-b + np.sqrt(disc)) / c
    y = struct + scale * noise
    beta = fits[0].params + scale * fits[1].params  # OLS is linear in the outcome
    shifts = np.zeros(3)
    for g in (_NONE, _SPOTTY):
        L = X.mean(axis=0)
        L[1] = float(g == _SPOTTY)
        shifts[g] = p.dpav_ls_mean[g] - L @ beta
    return y + shifts[code]


# ----------------------------------------------------------------------------------------
# the generator
# ----------------------------------------------------------------------------------------
def _check_args(n: int, n_spotty_group: int | None, n_other: int,
                p: SimulationParams) -> tuple[int, int]:
    """Validated (n_spotty_group, n_other); a SimulationError saying what to change."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < MIN_N:
        raise SimulationError(f"n must be an integer of at least {MIN_N}; got {n!r}.")
    if isinstance(n_other, bool) or not isinstance(n_other, (int, np.integer)) or n_other < 0:
        raise SimulationError(f"n_other must be a non-negative integer; got {n_other!r}.")
    n_cmp = n - n_other
    if n_cmp < MIN_N:
        raise SimulationError(f"n_other must leave at least {MIN_N} patients in the spotty and "
                              f"no-calcification groups; n={n}, n_other={n_other}.")
    if n_spotty_group is None:
        n_spotty_group = int(round(n_cmp * p.n_spotty / (p.n_spotty + p.n_none)))
    if (isinstance(n_spotty_group, bool) or not isinstance(n_spotty_group, (int, np.integer))
            or not 10 <= n_spotty_group <= n_cmp - 10):
        raise SimulationError(
            f"n_spotty_group must leave at least 10 patients in each of the spotty and "
            f"no-calcification groups (n={n}, n_other={n_other}); got {n_spotty_group!r}.")
    return int(n_spotty_group), int(n_other)


def simulate_cohort(n: int = N_PUBLISHED, seed: int = SEED, *, n_spotty_group: int | None = None,
                    n_other: int = 0, params: SimulationParams = PARAMS
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate a cohort calibrated to the published summaries.

    Parameters
    ----------
    n : int
        Number of patients (at least ``MIN_N``). Default: the published 1,347.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same cohort.
    n_spotty_group : int, optional
        Number of patients with spotty calcification. Default: proportional to the
        published 922 of 1,347 (exactly 922 at ``n=1347``).
    n_other : int
        Number of patients with other (wide-arc or long) calcium, outside the comparison.
        Default 0, as in the publication.
    params : SimulationParams
        The generator's parameters (``analysis.cohort.params.PARAMS``).

    Returns
    -------
    patients : pandas.DataFrame
        One row per patient with every non-derived column of the data dictionary, in
        dictionary order and with dictionary dtypes.
    lesions : pandas.DataFrame
        One row per calcium deposit: ``patient_id`` (str), ``arc_deg``, ``length_mm``.

    Raises
    ------
    SimulationError
        If ``n`` is too small or the group sizes are impossible.
    """
    n_spotty_group, n_other = _check_args(n, n_spotty_group, n_other, params)
    p = params
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((8, n))  # latent normals, one row per purpose
    z_age, z_male, z_dm, z_mi, z_hdl, u_burden, z_score, z_pav = z

    # 1. trial and follow-up
    n_trials = len(p.trials)
    w = np.asarray(p.trial_weights, dtype=float)
    trial_code = rng.choice(n_trials, size=n, p=w / w.sum())
    nominal = np.asarray(p.trial_followup_months, dtype=float)[trial_code]
    dev = p.followup_max_dev_months
    followup = np.round(nominal + np.clip(rng.normal(0.0, p.followup_sd_months, n), -dev, dev), 1)

    # 2. group by rank of a risk-factor score
    score = (p.score_age * z_age + p.score_male * z_male + p.score_diabetes * z_dm
             + p.score_prior_mi * z_mi + p.score_hdl * z_hdl + p.score_burden * u_burden)
    score = score + np.sqrt(max(1e-6, 1.0 - score.var())) * z_score
    order = np.argsort(-score, kind="stable")
    code = np.full(n, _NONE, dtype=np.int8)
    code[order[:n_other]] = _OTHER
    code[order[n_other:n_other + n_spotty_group]] = _SPOTTY

    # 3. calibrated risk factors
    male = _top_k_within(z_male, code, p.male_pct, p.male_pct[_SPOTTY])
    diabetes = _top_k_within(z_dm, code, p.diabetes_pct, p.diabetes_pct[_SPOTTY])
    prior_mi = _top_k_within(z_mi, code, p.prior_mi_pct, p.prior_mi_pct[_SPOTTY])
    # raw centres are the spotty group's values; none/spotty are then matched exactly
    lo, hi = schema.get("age").plausible_range
    age_raw = p.age_mean[_SPOTTY] + p.age_sd * z_age
    age = _round_within(_match_clip(age_raw, code, p.age_mean, (p.age_sd, p.age_sd), lo, hi),
                        code)
    hdl_log = (np.log(p.hdl_mean[_SPOTTY]) + p.hdl_log_sd * z_hdl + p.hdl_female_log * ~male
               + p.hdl_diabetes_log * diabetes)
    lo, hi = schema.get("hdl_c").plausible_range
    hdl = _round_within(_match_clip(np.exp(hdl_log), code, p.hdl_mean, p.hdl_sd, lo, hi), code)

    # 4. other risk factors, laboratory values, blood pressure, medication
    bmi = np.round(_plausible("bmi", p.bmi_median * np.exp(p.bmi_log_sd * rng.standard_normal(n))
                              + p.bmi_diabetes * diabetes), 1)
    za, bmi_c = _std(age), bmi - p.bmi_median
    h_age, h_bmi, h_dm = p.hypertension_loadings
    hypertension = _probit(rng, p.hypertension_pct, h_age * za + h_bmi * bmi_c + h_dm * diabetes)
    s_age, s_male = p.smoker_loadings
    smoker = _probit(rng, p.smoker_pct, s_age * za + s_male * male)
    p_high = np.asarray(p.trial_p_high_statin)[trial_code]
    p_none = np.asarray(p.trial_p_no_statin)[trial_code]
    r = rng.random(n)
    statin_code = np.where(r < p_none, 0, np.where(r < p_none + p_high, 2, 1)).astype(np.int8)
    ldl_base = _plausible("ldl_c_baseline", p.ldl_baseline_median
                          * np.exp(p.ldl_baseline_log_sd * rng.standard_normal(n)))
    reduction = np.clip(np.asarray(p.ldl_reduction)[statin_code]
                        + p.ldl_reduction_sd * rng.standard_normal(n), *p.ldl_reduction_limits)
    ldl = np.round(_plausible("ldl_c", ldl_base * (1.0 - reduction)))
    ldl_base = np.round(ldl_base)
    tg_dm, tg_bmi = p.tg_loadings
    tg = np.round(_plausible("triglycerides", p.tg_median * np.exp(
        p.tg_log_sd * rng.standard_normal(n) + tg_dm * diabetes + tg_bmi * bmi_c)))
    crp = np.round(_plausible("crp", p.crp_median * np.exp(
        p.crp_log_sd * rng.standard_normal(n) + p.crp_bmi_log * bmi_c)), 1)
    crp = np.maximum(crp, 0.1)  # assay floor
    sbp = np.round(_plausible("sbp", p.sbp_mean + p.sbp_sd * rng.standard_normal(n)
                              + p.sbp_hypertension * (hypertension - p.hypertension_pct / 100)
                              + p.sbp_age_per_sd * za))
    d0, d_sbp, d_sd = p.dbp_model
    dbp = np.round(_plausible("dbp", d0 + d_sbp * sbp + d_sd * rng.standard_normal(n)))
    dbp = np.minimum(dbp, sbp - 15)  # pulse pressure of at least 15 mmHg
    beta_blocker = _probit(rng, p.beta_blocker_pct, p.beta_blocker_prior_mi * prior_mi)
    a_htn, a_dm = p.ace_arb_loadings
    ace_arb = _probit(rng, p.ace_arb_pct, a_htn * hypertension + a_dm * diabetes)

    # IVUS burden: log-normal PAV and TAV, standardised within group to the published values
    w_u, w_age, w_male, w_dm, w_mi, w_hdl = p.pav_loadings
    lin = (w_u * u_burden + w_age * za + w_male * male + w_dm * diabetes + w_mi * prior_mi
           + w_hdl * z_hdl)
    r_pav = p.pav_structure_r
    pav_raw = np.exp(np.log(p.pav_mean[_SPOTTY]) + p.pav_log_sd
                     * (r_pav * _std(lin) + np.sqrt(1 - r_pav ** 2) * z_pav))
    lo, hi = schema.get("pav_baseline").plausible_range
    pav = _round_within(_match_clip(pav_raw, code, p.pav_mean, p.pav_sd, lo, hi), code, 2)
    zp = np.zeros(n)
    for g in (_NONE, _SPOTTY, _OTHER):
        idx = code == g
        if idx.sum() > 1:
            lp = np.log(pav[idx])
            zp[idx] = (lp - lp.mean()) / lp.std()
    r_tav = p.pav_tav_corr
    tav_raw = np.exp(np.log(p.tav_mean[_SPOTTY]) + p.tav_log_sd
                     * (r_tav * zp + np.sqrt(1 - r_tav ** 2) * rng.standard_normal(n)))
    lo, hi = schema.get("tav_baseline").plausible_range
    tav = _round_within(_match_clip(tav_raw, code, p.tav_mean, p.tav_sd, lo, hi), code, 1)

    # 5. PAV change, calibrated on the spotty and no-calcification patients
    g01 = np.minimum(code, _SPOTTY)  # "other" patients progress like spotty ones
    struct = (np.asarray(p.trial_delta_pav)[trial_code]
              + p.dpav_baseline_pav * (pav - 33.0) + p.dpav_diabetes * diabetes
              + p.dpav_hdl_per10 * (hdl - 50.0) / 10.0 + p.dpav_ldl_per10 * (ldl - 80.0) / 10.0
              + np.asarray(p.dpav_ldl_benefit)[g01]
              * _sigmoid((p.therapy_ldl_cut - ldl) / p.therapy_ldl_scale)
              + np.asarray(p.dpav_sbp_benefit)[g01]
              * _sigmoid((p.therapy_sbp_cut - sbp) / p.therapy_sbp_scale))
    noise = rng.standard_normal(n)
    cmp = code != _OTHER
    X = _design(code[cmp], pav[cmp], trial_code[cmp], n_trials, age[cmp], male[cmp],
                diabetes[cmp], prior_mi[cmp], hdl[cmp])
    delta = struct + p.dpav_residual_sd * noise + np.where(code == _OTHER, p.dpav_ls_mean[1], 0.0)
    delta[cmp] = _calibrate_delta(struct[cmp], noise[cmp], X, code[cmp], p)
    pav_fu = _round_within(_plausible("pav_followup", pav + delta), code, 2)
    dtav = (p.dtav_per_dpav * (tav / pav) * (pav_fu - pav)
            + p.dtav_sd * rng.standard_normal(n))
    lo, hi = schema.get("tav_followup").plausible_range
    t_lo, t_hi = p.tav_change_limits
    tav_fu = np.round(np.clip(tav + dtav, np.maximum(t_lo * tav, lo), np.minimum(t_hi * tav, hi)), 1)

    # spotty deposits per patient; the lesion table
    n_sp = np.where(code == _NONE, 0,
                    np.minimum(1 + rng.poisson(p.spotty_extra_mean
                                               * np.exp(p.spotty_count_burden * u_burden)),
                               p.n_spotty_max))
    n_sp = np.where(code == _OTHER, n_sp - 1, n_sp)  # "other": 0+ spotty deposits ...
    n_wide = np.where(code == _OTHER, 1 + rng.poisson(p.other_extra_wide_mean, n), 0)  # >= 1 wide
    ids = _ids(n)
    lesions = _lesions(rng, ids, n_sp, n_wide, p)

    cols = {
        "patient_id": pd.array(ids, dtype="str"),
        "trial": pd.Categorical.from_codes(trial_code, categories=list(p.trials)),
        "followup_months": followup,
        "age": age,
        "sex": pd.Categorical.from_codes(male.astype(np.int8), categories=["female", "male"]),
        "bmi": bmi,
        "diabetes": diabetes,
        "hypertension": hypertension,
        "current_smoker": smoker,
        "prior_mi": prior_mi,
        "ldl_c_baseline": ldl_base,
        "ldl_c": ldl,
        "hdl_c": hdl,
        "triglycerides": tg,
        "crp": crp,
        "sbp": sbp,
        "dbp": dbp,
        "statin": statin_code,
        "beta_blocker": beta_blocker,
        "ace_arb": ace_arb,
        schema.GROUP: code,
        "n_spotty": n_sp,
        "pav_baseline": pav,
        "pav_followup": pav_fu,
        "tav_baseline": tav,
        "tav_followup": tav_fu,
    }
    return _typed_frame(cols), lesions


def _lesions(rng: np.random.Generator, ids: np.ndarray, n_sp: np.ndarray,
             n_wide: np.ndarray, p: SimulationParams) -> pd.DataFrame:
    """One row per deposit: spotty ones (1-4 mm, arc < 90°), then wide or long ones."""
    k_sp, k_w = int(n_sp.sum()), int(n_wide.sum())
    len_lo, len_hi = schema.SPOTTY_LENGTH_MM
    arc_lo, arc_hi, arc_a, arc_b = p.spotty_arc_deg
    sp_arc = np.round(arc_lo + (arc_hi - arc_lo) * rng.beta(arc_a, arc_b, k_sp))
    sp_len = np.round(len_lo + (len_hi - len_lo) * rng.beta(*p.spotty_length_beta, k_sp), 1)
    long_one = rng.random(k_w) < 0.5  # a long deposit (any arc), or a wide arc (any length)
    (wa_lo, wa_hi), (wl_lo, wl_hi) = p.other_arc_deg, p.other_length_mm
    w_arc = np.where(long_one, np.round(arc_lo + (arc_hi - arc_lo) * rng.random(k_w)),
                     np.round(wa_lo + (wa_hi - wa_lo) * rng.random(k_w)))
    w_len = np.where(long_one, np.round(wl_lo + (wl_hi - wl_lo) * rng.random(k_w), 1),
                     np.round(len_lo + (wl_hi - len_lo) * rng.random(k_w), 1))
    frame = pd.DataFrame({
        "patient_id": pd.array(np.concatenate([np.repeat(ids, n_sp), np.repeat(ids, n_wide)]),
                               dtype="str"),
        "arc_deg": np.concatenate([sp_arc, w_arc]),
        "length_mm": np.concatenate([sp_len, w_len]),
    })
    if k_w:
        frame = frame.sort_values("patient_id", kind="stable", ignore_index=True)
    return frame


def _typed_frame(cols: dict) -> pd.DataFrame:
    """Columns in dictionary order with dictionary dtypes."""
    out = {}
    for var in schema.file_columns():
        v = cols[var.name]
        if var.dtype == "category" and not isinstance(v, pd.Categorical):
            v = pd.Categorical.from_codes(np.asarray(v, dtype=np.int8), dtype=var.pandas_dtype())
        if var.dtype == "category" and not var.levels:
            out[var.name] = pd.Series(v)  # levels come from the data (e.g. trial names)
        else:
            out[var.name] = pd.Series(v).astype(var.pandas_dtype())
    return pd.DataFrame(out)


# ----------------------------------------------------------------------------------------
# writing
# ----------------------------------------------------------------------------------------
def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise SimulationError(f"Cannot write '{path.name}': use a file name ending in "
                              f".csv or .parquet.")
    return suffix


def _write(frame: pd.DataFrame, path: Path) -> Path:
    path = Path(path)
    suffix = _suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        out = frame.copy()
        for col in out.columns:
            if out[col].dtype == "boolean":
                out[col] = out[col].astype("Int8")  # canonical 1/0
            elif out[col].dtype == "float64" and np.array_equal(out[col], np.round(out[col])):
                out[col] = out[col].astype("Int64")  # whole numbers without ".0"
        out.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


def write_cohort(patients: pd.DataFrame, path: str | Path, *, seed: int,
                 lesions_file: str | Path | None = None) -> Path:
    """Write a simulated patient table (csv/parquet by extension) and its sidecar.

    The sidecar ``<path>.meta.json`` holds ``{"simulated": true, "seed", "n",
    "generator": "analysis.cohort.simulate", "label": schema.SIMULATED_LABEL}``; the loader
    marks such a data set as simulated.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    path = _write(patients, Path(path))
    meta = {"simulated": True, "seed": int(seed), "n": int(len(patients)),
            "generator": "analysis.cohort.simulate", "label": schema.SIMULATED_LABEL}
    if lesions_file is not None:
        meta["lesions"] = Path(lesions_file).name
    Path(f"{path}.meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return path


def write_lesions(lesions: pd.DataFrame, path: str | Path) -> Path:
    """Write the lesion table (csv/parquet by extension)."""
    return _write(lesions, Path(path))


def write_bundled(data_dir: str | Path = DATA_DIR) -> list[Path]:
    """Regenerate the committed files of ``data/`` at the default seed and size.

    Writes ``simulated_cohort.csv`` (+ ``.meta.json``), ``simulated_lesions.csv`` and
    ``dictionary.csv`` (``schema.dictionary_frame()``).
    """
    data_dir = Path(data_dir)
    patients, lesions = simulate_cohort(N_PUBLISHED, SEED)
    cohort = data_dir / BUNDLED_COHORT.name
    les = data_dir / BUNDLED_LESIONS.name
    write_cohort(patients, cohort, seed=SEED, lesions_file=les)
    write_lesions(lesions, les)
    dictionary = data_dir / "dictionary.csv"
    schema.dictionary_frame().to_csv(dictionary, index=False)
    return [cohort, Path(f"{cohort}.meta.json"), les, dictionary]


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m analysis.cohort.simulate --n N --seed S --out FILE``."""
    ap = argparse.ArgumentParser(prog="python -m analysis.cohort.simulate",
                                 description="Write a simulated cohort (csv or parquet).")
    ap.add_argument("--n", type=int, default=N_PUBLISHED, help="number of patients")
    ap.add_argument("--seed", type=int, default=SEED, help="random seed")
    ap.add_argument("--n-other", type=int, default=0,
                    help="patients with other (wide or long) calcium")
    ap.add_argument("--out", help="patient file (.csv or .parquet)")
    ap.add_argument("--lesions-out", help="lesion file (.csv or .parquet)")
    ap.add_argument("--bundled", action="store_true",
                    help="rewrite the committed cohort in data/ (default seed and n)")
    args = ap.parse_args(argv)
    try:
        if args.bundled:
            for path in write_bundled():
                print(path)
            return 0
        if not args.out:
            ap.error("--out FILE is required (or use --bundled)")
        _suffix(Path(args.out))
        if args.lesions_out:
            _suffix(Path(args.lesions_out))
        patients, lesions = simulate_cohort(args.n, args.seed, n_other=args.n_other)
        write_cohort(patients, args.out, seed=args.seed, lesions_file=args.lesions_out)
        print(args.out)
        if args.lesions_out:
            write_lesions(lesions, args.lesions_out)
            print(args.lesions_out)
    except SimulationError as err:
        print(f"error: {err}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
