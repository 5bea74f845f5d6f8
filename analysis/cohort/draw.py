"""Draws of one calcification group's patients from the population model, block by block.

Each block of variables has its own random stream per group,
``numpy.random.default_rng([seed, block, group, draw])``, so

* the spotty and no-calcification patients do not change when patients with other
  calcium are added (or their number changes);
* one block can be drawn again (another ``draw`` number) without touching the blocks
  before it: ``analysis.cohort.seed_scan`` picks the bundled cohort's draws this way.

A group's state is a dict of NumPy arrays, filled by the block functions in ``BLOCKS``
order. No block rescales its sample: every law's parameters are population values
(published group means, SDs and percentages, or the assumptions of ``params.py``).
Within a group, the published variables are linked through a Gaussian copula: binary
risk factors are thresholded latent normals, and the PAV latent loads on those latents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy.special import ndtri

from analysis.cohort.moments import lognormal_params, shifted_lognormal_params
from analysis.cohort.params import SimulationParams
from analysis.data import schema

NONE, SPOTTY, OTHER = 0, 1, 2  # codes of schema.GROUP's levels ("none", "spotty", "other")

State = dict[str, np.ndarray]

#: Blocks in generation order; their position is part of each stream's seed.
BLOCKS = ("design", "age", "sex", "diabetes", "prior_mi", "hdl", "pav", "tav", "clinical",
          "lesions", "delta")


def block_rng(seed: int, block: str, group: int, draw: int = 0) -> np.random.Generator:
    """The random stream of one block of one group (``draw`` selects another draw)."""
    return np.random.default_rng([int(seed), BLOCKS.index(block), int(group), int(draw)])


def group_value(p: SimulationParams, name: str, g: int) -> float:
    """Population value of ``name`` for group ``g``: the published (none, spotty) pair, or
    for patients with other calcium the assumption ``other_<name>``."""
    if g == OTHER:
        return float(getattr(p, f"other_{name}"))
    return float(getattr(p, name)[g])


def _plausible(name: str, x: np.ndarray) -> np.ndarray:
    """Clip to the dictionary's plausible range of ``name`` (a guard for extreme draws)."""
    lo, hi = schema.get(name).plausible_range
    return np.clip(x, lo, hi)


def _probit(rng: np.random.Generator, pct: float, linear: np.ndarray) -> np.ndarray:
    """Binary with prevalence near ``pct``% whose latent is ``linear`` + standard normal.

    For unpublished variables only: the cut is set on the linear predictor's sample
    mean and variance.
    """
    if linear.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    lat = linear - linear.mean() + rng.standard_normal(linear.shape[0])
    cut = -ndtri(pct / 100.0) * np.sqrt(1.0 + linear.var())
    return lat > cut


# ----------------------------------------------------------------------------------------
# blocks: each adds its variables to the group's state
# ----------------------------------------------------------------------------------------
def _design(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    n = st["n"]
    w = np.asarray(p.trial_weights, dtype=float)
    st["trial"] = rng.choice(len(w), size=n, p=w / w.sum())
    nominal = np.asarray(p.trial_followup_months, dtype=float)[st["trial"]]
    dev = p.followup_max_dev_months
    st["followup"] = np.round(
        nominal + np.clip(rng.normal(0.0, p.followup_sd_months, n), -dev, dev), 1)


def _age(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    st["z_age"] = rng.standard_normal(st["n"])
    st["age"] = np.round(_plausible("age", group_value(p, "age_mean", g) + p.age_sd * st["z_age"]))


def _binary(name: str, pcts_field: str) -> Callable:
    def block(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
        z = rng.standard_normal(st["n"])
        st[f"z_{name}"] = z
        st[name] = z > ndtri(1.0 - group_value(p, pcts_field, g) / 100.0)
    return block


def _hdl(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    """Log-normal HDL-C, higher in women, lower with diabetes; group mean and SD exact in
    the population (``moments.shifted_lognormal_params``)."""
    p_female = 1.0 - group_value(p, "male_pct", g) / 100.0
    p_dm = group_value(p, "diabetes_pct", g) / 100.0
    mu, s = shifted_lognormal_params(group_value(p, "hdl_mean", g), group_value(p, "hdl_sd", g),
                                     [(p_female, p.hdl_female_log), (p_dm, p.hdl_diabetes_log)])
    st["e_hdl"] = rng.standard_normal(st["n"])
    log_hdl = mu + p.hdl_female_log * ~st["male"] + p.hdl_diabetes_log * st["diabetes"] \
        + s * st["e_hdl"]
    st["hdl"] = np.round(_plausible("hdl_c", np.exp(log_hdl)))


def _pav(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    """Log-normal baseline PAV whose standard-normal latent loads on atheroma burden and
    the risk-factor latents (correlation ``pav_structure_r`` with their combination)."""
    n = st["n"]
    st["u_burden"] = rng.standard_normal(n)
    w = np.asarray(p.pav_loadings, dtype=float)
    lin = (w[0] * st["u_burden"] + w[1] * st["z_age"] + w[2] * st["z_male"]
           + w[3] * st["z_diabetes"] + w[4] * st["z_prior_mi"] + w[5] * st["e_hdl"])
    r = p.pav_structure_r
    st["pav_latent"] = r * lin / np.sqrt(w @ w) + np.sqrt(1.0 - r ** 2) * rng.standard_normal(n)
    mu, s = lognormal_params(group_value(p, "pav_mean", g), group_value(p, "pav_sd", g))
    st["pav"] = np.round(_plausible("pav_baseline", np.exp(mu + s * st["pav_latent"])), 2)


def _tav(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    r = p.pav_tav_corr
    latent = r * st["pav_latent"] + np.sqrt(1.0 - r ** 2) * rng.standard_normal(st["n"])
    mu, s = lognormal_params(group_value(p, "tav_mean", g), group_value(p, "tav_sd", g))
    st["tav"] = np.round(_plausible("tav_baseline", np.exp(mu + s * latent)), 1)


def _clinical(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    """Unpublished risk factors, laboratory values, blood pressure and medication."""
    n, male, diabetes = st["n"], st["male"], st["diabetes"]
    za = (st["age"] - np.mean(p.age_mean)) / p.age_sd
    bmi = np.round(_plausible("bmi", p.bmi_median * np.exp(p.bmi_log_sd * rng.standard_normal(n))
                              + p.bmi_diabetes * diabetes), 1)
    bmi_c = bmi - p.bmi_median
    h_age, h_bmi, h_dm = p.hypertension_loadings
    hypertension = _probit(rng, p.hypertension_pct, h_age * za + h_bmi * bmi_c + h_dm * diabetes)
    s_age, s_male = p.smoker_loadings
    st["smoker"] = _probit(rng, p.smoker_pct, s_age * za + s_male * male)
    p_high = np.asarray(p.trial_p_high_statin)[st["trial"]]
    p_none = np.asarray(p.trial_p_no_statin)[st["trial"]]
    u = rng.random(n)
    st["statin"] = np.where(u < p_none, 0, np.where(u < p_none + p_high, 2, 1)).astype(np.int8)
    ldl_base = _plausible("ldl_c_baseline", p.ldl_baseline_median
                          * np.exp(p.ldl_baseline_log_sd * rng.standard_normal(n)))
    reduction = np.clip(np.asarray(p.ldl_reduction)[st["statin"]]
                        + p.ldl_reduction_sd * rng.standard_normal(n), *p.ldl_reduction_limits)
    st["ldl"] = np.round(_plausible("ldl_c", ldl_base * (1.0 - reduction)))
    st["ldl_base"] = np.round(ldl_base)
    tg_dm, tg_bmi = p.tg_loadings
    st["tg"] = np.round(_plausible("triglycerides", p.tg_median * np.exp(
        p.tg_log_sd * rng.standard_normal(n) + tg_dm * diabetes + tg_bmi * bmi_c)))
    crp = np.round(_plausible("crp", p.crp_median * np.exp(
        p.crp_log_sd * rng.standard_normal(n) + p.crp_bmi_log * bmi_c)), 1)
    st["crp"] = np.maximum(crp, 0.1)  # assay floor
    sbp = np.round(_plausible("sbp", p.sbp_mean + p.sbp_sd * rng.standard_normal(n)
                              + p.sbp_hypertension * (hypertension - p.hypertension_pct / 100)
                              + p.sbp_age_per_sd * za))
    d0, d_sbp, d_sd = p.dbp_model
    dbp = np.round(_plausible("dbp", d0 + d_sbp * sbp + d_sd * rng.standard_normal(n)))
    st["dbp"] = np.minimum(dbp, sbp - 15)  # pulse pressure of at least 15 mmHg
    st["beta_blocker"] = _probit(rng, p.beta_blocker_pct, p.beta_blocker_prior_mi * st["prior_mi"])
    a_htn, a_dm = p.ace_arb_loadings
    st["ace_arb"] = _probit(rng, p.ace_arb_pct, a_htn * hypertension + a_dm * diabetes)
    st["bmi"], st["hypertension"], st["sbp"] = bmi, hypertension, sbp


def _lesions(st: State, rng: np.random.Generator, g: int, p: SimulationParams) -> None:
    """Calcium deposits: ``n_spotty`` spotty ones (1-4 mm, arc < 90°) and ``n_large`` others.

    Spotty patients have 1 + Poisson spotty deposits (more with more atheroma burden),
    patients without calcium none, patients with other calcium 0+ spotty deposits and
    1 + Poisson larger ones (``_large_deposits``). Deposits are stored flat with their
    patient's row in ``les_row``; ``max_arc`` is each patient's widest larger deposit
    (0 without one).
    """
    n = st["n"]
    n_sp = np.minimum(1 + rng.poisson(p.spotty_extra_mean * np.exp(p.spotty_count_burden
                                                                    * st["u_burden"])),
                      p.n_spotty_max)
    n_large = np.zeros(n, dtype=np.int64)
    if g == NONE:
        n_sp = np.zeros(n, dtype=np.int64)
    elif g == OTHER:
        n_sp = n_sp - 1
        n_large = 1 + rng.poisson(p.other_extra_large_mean, n)
    k_sp = int(n_sp.sum())
    len_lo, len_hi = schema.SPOTTY_LENGTH_MM
    arc_lo, arc_hi, arc_a, arc_b = p.spotty_arc_deg
    sp_arc = np.round(arc_lo + (arc_hi - arc_lo) * rng.beta(arc_a, arc_b, k_sp))
    sp_len = np.round(len_lo + (len_hi - len_lo) * rng.beta(*p.spotty_length_beta, k_sp), 1)
    l_arc, l_len = _large_deposits(rng, int(n_large.sum()), p)
    rows = np.arange(n)
    large_row = np.repeat(rows, n_large)
    max_arc = np.zeros(n)
    np.maximum.at(max_arc, large_row, l_arc)
    st["n_spotty"], st["max_arc"] = n_sp, max_arc
    st["les_row"] = np.concatenate([np.repeat(rows, n_sp), large_row])
    st["les_arc"] = np.concatenate([sp_arc, l_arc])
    st["les_len"] = np.concatenate([sp_len, l_len])


def _large_deposits(rng: np.random.Generator, k: int, p: SimulationParams
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Arcs and lengths of ``k`` deposits that are not spotty, of four kinds
    (``other_kind_p``): an arc just over 90°, a length just over 4 mm, a micro-deposit
    under 1 mm, or an extensive deposit (arc 90-360°, length 1-20 mm)."""
    kind = rng.choice(4, size=k, p=np.asarray(p.other_kind_p) / np.sum(p.other_kind_p))
    len_lo, len_hi = schema.SPOTTY_LENGTH_MM
    arc_lo, arc_hi, arc_a, arc_b = p.spotty_arc_deg
    spotty_arc = arc_lo + (arc_hi - arc_lo) * rng.beta(arc_a, arc_b, k)
    spotty_len = len_lo + (len_hi - len_lo) * rng.beta(*p.spotty_length_beta, k)
    w_lo, w_hi, w_a, w_b = p.other_wide_arc
    g_lo, g_hi, g_a, g_b = p.other_long_length
    arc = np.select([kind == 0, kind == 3],
                    [rng.uniform(*p.other_near_arc_deg, k),
                     w_lo + (w_hi - w_lo) * rng.beta(w_a, w_b, k)], spotty_arc)
    length = np.select([kind == 1, kind == 2, kind == 3],
                       [rng.uniform(*p.other_near_length_mm, k),
                        rng.uniform(*p.other_short_length_mm, k),
                        g_lo + (g_hi - g_lo) * rng.beta(g_a, g_b, k)], spotty_len)
    return np.round(arc), np.round(length, 1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def delta_struct(st: State, g: int, p: SimulationParams) -> np.ndarray:
    """The systematic part of PAV change (before the group constant and the noise).

    Trial + baseline PAV + diabetes + HDL-C + LDL-C gradient + the group-specific benefit
    of intensive LDL-C (< 70 mg/dl) and SBP (< 120 mmHg) control (smaller with spotty
    calcium; patients with other calcium like spotty ones) + lesion features: each
    further spotty deposit adds ``dpav_per_spotty_deposit``; with other calcium the
    offset ``dpav_other_offset`` (relative to spotty) and less progression the wider the
    widest larger deposit (``dpav_per_100deg_arc``). Group constants come on top
    (``calibration.delta_constants``; other calcium takes the spotty constant).
    """
    gi = SPOTTY if g == OTHER else g
    lesion = 0.0
    if g == SPOTTY:
        lesion = p.dpav_per_spotty_deposit * (st["n_spotty"] - 1)
    elif g == OTHER:
        lesion = (p.dpav_other_offset + p.dpav_per_spotty_deposit * st["n_spotty"]
                  + p.dpav_per_100deg_arc * np.maximum(st["max_arc"] - 90.0, 0.0) / 100.0)
    return (lesion + np.asarray(p.trial_delta_pav)[st["trial"]]
            + p.dpav_baseline_pav * (st["pav"] - 33.0) + p.dpav_diabetes * st["diabetes"]
            + p.dpav_hdl_per10 * (st["hdl"] - 50.0) / 10.0
            + p.dpav_ldl_per10 * (st["ldl"] - 80.0) / 10.0
            + p.dpav_ldl_benefit[gi] * _sigmoid((p.therapy_ldl_cut - st["ldl"])
                                                / p.therapy_ldl_scale)
            + p.dpav_sbp_benefit[gi] * _sigmoid((p.therapy_sbp_cut - st["sbp"])
                                                / p.therapy_sbp_scale))


def delta_block(st: State, rng: np.random.Generator, g: int, p: SimulationParams,
                constant: float, sigma: float) -> None:
    """Follow-up PAV and TAV: PAV change = struct + group constant + ``sigma`` x noise."""
    n = st["n"]
    delta = delta_struct(st, g, p) + constant + sigma * rng.standard_normal(n)
    pav, tav = st["pav"], st["tav"]
    st["pav_fu"] = np.round(_plausible("pav_followup", pav + delta), 2)
    dtav = p.dtav_per_dpav * (tav / pav) * (st["pav_fu"] - pav) + p.dtav_sd * rng.standard_normal(n)
    lo, hi = schema.get("tav_followup").plausible_range
    t_lo, t_hi = p.tav_change_limits
    st["tav_fu"] = np.round(np.clip(tav + dtav, np.maximum(t_lo * tav, lo),
                                    np.minimum(t_hi * tav, hi)), 1)


#: Block functions before ``delta`` (which needs the calibrated constants).
BLOCK_FUNCS: dict[str, Callable] = {
    "design": _design, "age": _age, "sex": _binary("male", "male_pct"),
    "diabetes": _binary("diabetes", "diabetes_pct"),
    "prior_mi": _binary("prior_mi", "prior_mi_pct"), "hdl": _hdl, "pav": _pav, "tav": _tav,
    "clinical": _clinical, "lesions": _lesions,
}


def draw_group(n: int, g: int, seed: int, draws: Mapping[str, int], p: SimulationParams,
               blocks: tuple[str, ...] = tuple(BLOCK_FUNCS)) -> State:
    """Draw ``n`` patients of group ``g`` through ``blocks`` (all but ``delta`` by default).

    Parameters
    ----------
    n : int
        Patients in the group.
    g : int
        Group code (``NONE``, ``SPOTTY``, ``OTHER``).
    seed : int
        Seed of every stream.
    draws : mapping
        Draw number per block (missing blocks use draw 0).
    p : SimulationParams
        Parameters.
    blocks : tuple of str
        Blocks to run, in ``BLOCKS`` order.

    Returns
    -------
    dict
        The group's state: ``n`` and one array per variable.
    """
    st: State = {"n": n}
    for name in blocks:
        BLOCK_FUNCS[name](st, block_rng(seed, name, g, draws.get(name, 0)), g, p)
    return st
