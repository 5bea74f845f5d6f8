"""Every parameter of the simulated cohort, in one place, each with its reason.

The simulated cohort (``analysis/cohort/simulate.py``) is drawn from a *population* model
whose group means, SDs and percentages are the published summaries of Kataoka et al.,
J Am Coll Cardiol 2012;59:1592-1597 (the numbers are in the study's
``published_summary.json``); a sample of any size therefore varies around them as a real
sample would. Each field below carries metadata:

* ``source`` - ``"published"`` (a number printed in the abstract),
  ``"derived"`` (computed from published numbers, e.g. an SD implied by a p-value or
  an SE), or ``"assumption"`` (not published; a clinically plausible value from the
  IVUS / cardiovascular literature, chosen so the cohort looks realistic);
* ``reason`` - one line saying why the value is what it is.

``parameter_table()`` lists them as a table (for the data page and the docs).
``BUNDLED_DRAWS`` records which draw of each random stream the bundled cohort uses
(the outcome of ``python -m analysis.cohort.seed_scan``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import pandas as pd

#: Default random seed of the bundled cohort.
SEED = 20120501
#: Published number of patients (spotty 922 + none 425).
N_PUBLISHED = 1347

#: Draw number of each random stream of the bundled cohort (streams not listed use draw 0).
#: Found by ``python -m analysis.cohort.seed_scan`` (seed SEED, n = 1,347): for each stream
#: in generation order, the first draw whose sample meets every published tolerance of
#: that stream's variables, given the draws already chosen. Any other seed or size is a
#: plain draw from the population model. Scan record (draws tried per stream): age 11,
#: sex 2, diabetes 7, prior_mi 1, hdl 59, pav 12, tav 2871, delta 638 (TAV is the hard one:
#: its mean must land within 0.2 mm3 while its SE is ~2.4 mm3).
BUNDLED_DRAWS: dict[str, int] = {"age": 10, "sex": 1, "diabetes": 6, "hdl": 58, "pav": 11,
                                 "tav": 2870, "delta": 637}


def _p(value, source: str, reason: str):
    """A dataclass field with its default ``value``, ``source`` and one-line ``reason``."""
    if isinstance(value, (tuple, list)):
        value = tuple(value)
    return field(default=value, metadata={"source": source, "reason": reason})


@dataclass(frozen=True)
class SimulationParams:
    """Parameters of the simulated cohort (see module docstring for the field metadata)."""

    # --- group sizes -------------------------------------------------------------------
    n_spotty: int = _p(922, "published", "patients with spotty calcification (abstract)")
    n_none: int = _p(425, "published", "patients with no calcification (abstract)")

    # --- trials --------------------------------------------------------------------------
    trials: tuple = _p(("TRIAL-A", "TRIAL-B", "TRIAL-C", "TRIAL-D", "TRIAL-E", "TRIAL-F",
                        "TRIAL-G"), "assumption",
                       "the pooled data came from several IVUS trials of one core laboratory")
    trial_weights: tuple = _p((0.20, 0.12, 0.14, 0.10, 0.16, 0.10, 0.18), "assumption",
                              "unequal trial sizes, as in pooled IVUS analyses")
    trial_followup_months: tuple = _p((18, 24, 18, 18, 24, 18, 24), "published",
                                      "serial IVUS follow-up typically 18-24 months (study notes)")
    followup_sd_months: float = _p(1.0, "assumption",
                                   "scheduling spread around the protocol follow-up visit")
    followup_max_dev_months: float = _p(3.0, "assumption",
                                        "visits fall within a protocol window of +-3 months")
    trial_p_high_statin: tuple = _p((0.50, 0.30, 0.25, 0.40, 0.60, 0.40, 1.00), "assumption",
                                    "lipid trials randomised to high-intensity statins in some arms")
    trial_p_no_statin: tuple = _p((0.00, 0.15, 0.10, 0.05, 0.00, 0.10, 0.00), "assumption",
                                  "a few patients in BP / other-agent trials took no statin")
    trial_delta_pav: tuple = _p((0.20, 0.35, 0.50, 0.40, 0.10, 0.30, -0.30), "assumption",
                                "trial-level mean PAV change (high-intensity statin trials regress)")

    # --- risk factors: published group means / percentages --------------------------------
    age_mean: tuple = _p((54.0, 56.0), "published", "age none / spotty, years (abstract)")
    age_sd: float = _p(10.5, "derived",
                       "no SD published; 10.5 reproduces p = 0.001 for 56 vs 54 at these n")
    male_pct: tuple = _p((54.0, 68.0), "published",
                         "male % none / spotty (abstract; its p = 0.01 cannot also be matched)")
    diabetes_pct: tuple = _p((24.0, 30.0), "published", "diabetes % none / spotty (abstract)")
    prior_mi_pct: tuple = _p((20.0, 28.0), "published", "prior MI % none / spotty (abstract)")
    hdl_mean: tuple = _p((51.0, 48.0), "published", "on-treatment HDL-C none / spotty, mg/dl")
    hdl_sd: tuple = _p((17.0, 16.0), "published", "HDL-C SD none / spotty, mg/dl (abstract)")
    pav_mean: tuple = _p((29.0, 36.0), "published", "baseline PAV none / spotty, % (abstract)")
    pav_sd: tuple = _p((8.5, 7.6), "published", "baseline PAV SD none / spotty, % (abstract)")
    tav_mean: tuple = _p((133.9, 174.6), "published", "baseline TAV none / spotty, mm3 (abstract)")
    tav_sd: tuple = _p((64.9, 71.9), "published", "baseline TAV SD none / spotty, mm3 (abstract)")

    # --- other risk factors and therapies (not published) ---------------------------------
    hdl_female_log: float = _p(0.15, "assumption", "women have ~15% higher HDL-C")
    hdl_diabetes_log: float = _p(-0.08, "assumption", "diabetes lowers HDL-C by ~8%")
    bmi_median: float = _p(28.5, "assumption", "typical BMI of IVUS trial patients")
    bmi_log_sd: float = _p(0.15, "assumption", "BMI SD ~4.5 kg/m2")
    bmi_diabetes: float = _p(2.0, "assumption", "diabetic patients ~2 kg/m2 heavier")
    hypertension_pct: float = _p(72.0, "assumption", "hypertension prevalence in IVUS trials ~70%")
    hypertension_loadings: tuple = _p((0.4, 0.06, 0.3), "assumption",
                                      "probit per SD of age, per kg/m2 BMI, for diabetes")
    smoker_pct: float = _p(24.0, "assumption", "current smoking ~1 in 4 in these trials")
    smoker_loadings: tuple = _p((-0.4, 0.2), "assumption",
                                "probit per SD of age (younger smoke more), for men")
    ldl_baseline_median: float = _p(122.0, "assumption", "pre-trial LDL-C of pooled IVUS trials")
    ldl_baseline_log_sd: float = _p(0.25, "assumption", "pre-trial LDL-C SD ~28 mg/dl")
    ldl_reduction: tuple = _p((0.02, 0.30, 0.45), "assumption",
                              "mean LDL-C lowering by statin none / moderate / high intensity")
    ldl_reduction_sd: float = _p(0.10, "assumption", "individual variation in statin response")
    ldl_reduction_limits: tuple = _p((-0.15, 0.75), "assumption",
                                     "LDL-C lowering between +15% (rise) and 75% per patient")
    tg_median: float = _p(140.0, "assumption", "on-treatment triglycerides, log-normal")
    tg_log_sd: float = _p(0.45, "assumption", "triglycerides are right-skewed")
    tg_loadings: tuple = _p((0.20, 0.02), "assumption",
                            "log triglycerides: + for diabetes, + per kg/m2 BMI")
    crp_median: float = _p(1.8, "assumption", "on-treatment hs-CRP, log-normal")
    crp_log_sd: float = _p(0.9, "assumption", "hs-CRP is strongly right-skewed")
    crp_bmi_log: float = _p(0.03, "assumption", "hs-CRP rises with adiposity (log per kg/m2)")
    sbp_mean: float = _p(126.0, "assumption", "on-treatment SBP of stable CAD trial patients")
    sbp_sd: float = _p(14.0, "assumption", "on-treatment SBP SD")
    sbp_hypertension: float = _p(8.0, "assumption", "hypertensive patients ~8 mmHg higher SBP")
    sbp_age_per_sd: float = _p(2.5, "assumption", "SBP rises ~2.5 mmHg per SD (~10 years) of age")
    dbp_model: tuple = _p((38.0, 0.3, 8.0), "assumption",
                          "DBP = 38 + 0.3 x SBP + noise SD 8 (mean ~76 mmHg)")
    beta_blocker_pct: float = _p(65.0, "assumption", "beta-blocker use in stable CAD trials")
    beta_blocker_prior_mi: float = _p(0.8, "assumption", "beta-blockers are standard after MI")
    ace_arb_pct: float = _p(55.0, "assumption", "ACE-i / ARB use in stable CAD trials")
    ace_arb_loadings: tuple = _p((0.6, 0.3), "assumption",
                                 "ACE-i / ARB commoner with hypertension, diabetes (probit)")
    spotty_extra_mean: float = _p(0.9, "assumption",
                                  "n_spotty = 1 + Poisson(~0.9): most patients have 1-3 deposits")
    n_spotty_max: int = _p(15, "assumption", "cap on deposits per imaged segment")
    spotty_count_burden: float = _p(0.3, "assumption", "more atheroma, more spotty deposits")
    spotty_arc_deg: tuple = _p((10.0, 89.0, 2.0, 2.0), "assumption",
                               "spotty arcs: low, high, beta shape a, b; up to 89 deg so that "
                               "some straddle the < 90 deg definition")
    spotty_length_beta: tuple = _p((1.6, 2.4), "assumption",
                                   "spotty lengths within the 1-4 mm definition, mostly ~2 mm")

    # --- patients with other calcification (outside the comparison) -------------------------
    bundled_n_other: int = _p(500, "assumption",
                              "bundled patients with calcium beyond spotty deposits: common in "
                              "IVUS cohorts; a few hundred let definitions move patients")
    other_age_mean: float = _p(60.0, "assumption",
                               "extensive calcium rises steeply with age: ~4 years over spotty")
    other_male_pct: float = _p(72.0, "assumption", "coronary calcium is commoner in men")
    other_diabetes_pct: float = _p(34.0, "assumption", "diabetes goes with more coronary calcium")
    other_prior_mi_pct: float = _p(31.0, "assumption", "a little above the spotty group's 28%")
    other_hdl_mean: float = _p(47.0, "assumption", "HDL-C mean, mg/dl: the gradient of the groups")
    other_hdl_sd: float = _p(15.5, "assumption", "HDL-C SD, mg/dl, as in the published groups")
    other_pav_mean: float = _p(39.0, "assumption",
                               "more calcium, more atheroma: PAV above the spotty 36.0%")
    other_pav_sd: float = _p(7.8, "assumption", "PAV SD, %, as in the published groups")
    other_tav_mean: float = _p(195.0, "assumption", "TAV mean, mm3, above the spotty 174.6")
    other_tav_sd: float = _p(78.0, "assumption", "TAV SD, mm3, ~0.4 of the mean as published")
    other_extra_large_mean: float = _p(0.6, "assumption",
                                       "1 + Poisson(0.6) larger deposits per patient with other "
                                       "calcium (and 0+ spotty ones: some have both)")
    other_kind_p: tuple = _p((0.15, 0.15, 0.10, 0.60), "assumption",
                             "larger deposits: just over 90 deg, just over 4 mm, under 1 mm, "
                             "extensive; the first three straddle the spotty definition")
    other_near_arc_deg: tuple = _p((90.0, 120.0), "assumption",
                                   "arcs just over the 90 deg limit (length 1-4 mm)")
    other_near_length_mm: tuple = _p((4.1, 6.0), "assumption",
                                     "lengths just over the 4 mm limit (arc < 90 deg)")
    other_short_length_mm: tuple = _p((0.3, 0.9), "assumption",
                                      "micro-deposits under the 1 mm minimum (arc < 90 deg)")
    other_wide_arc: tuple = _p((90.0, 360.0, 1.2, 2.2), "assumption",
                               "extensive arcs: low, high, beta a, b (mostly 90-200 deg)")
    other_long_length: tuple = _p((1.0, 20.0, 1.5, 3.0), "assumption",
                                  "extensive lengths: low, high, beta a, b (mostly 3-9 mm)")

    # --- IVUS burden -----------------------------------------------------------------------
    pav_loadings: tuple = _p((0.75, 0.15, 0.15, 0.15, 0.10, -0.10), "assumption",
                             "PAV latent: burden, age, male, diabetes, prior MI, HDL-C")
    pav_structure_r: float = _p(0.8, "assumption",
                                "share (correlation) of the PAV latent explained by its predictors")
    pav_tav_corr: float = _p(0.70, "assumption", "PAV and TAV correlate ~0.7 within a group")

    # --- progression (delta PAV) -------------------------------------------------------------
    dpav_ls_mean: tuple = _p((0.02, 0.43), "published",
                             "LS-mean PAV change none / spotty, % (abstract)")
    dpav_p: float = _p(0.002, "published", "p of the spotty - none LS-mean difference (abstract)")
    dpav_residual_sd: float = _p(2.10, "derived",
                                 "SEs 0.07 / 0.11 imply 2.06-2.13 under the adjusted model; p ~ 0.002")
    dpav_baseline_pav: float = _p(-0.02, "assumption",
                                  "larger plaques regress slightly more (regression to the mean)")
    dpav_diabetes: float = _p(0.20, "assumption", "diabetes is linked to faster progression")
    dpav_hdl_per10: float = _p(-0.10, "assumption", "higher HDL-C, less progression")
    dpav_ldl_per10: float = _p(0.05, "assumption", "mild linear LDL-C gradient beyond the cut")
    dpav_ldl_benefit: tuple = _p((-1.00, -0.35), "assumption",
                                 "LDL-C < 70 benefit none / spotty: attenuated with spotty "
                                 "(abstract); gap large enough to show at most seeds at n=1,347")
    dpav_sbp_benefit: tuple = _p((-1.10, -0.35), "assumption",
                                 "SBP < 120 benefit none / spotty: attenuated with spotty "
                                 "(abstract); gap large enough to show at most seeds at n=1,347")
    therapy_ldl_cut: float = _p(70.0, "published", "usual intensive LDL-C cut-point, mg/dl")
    therapy_sbp_cut: float = _p(120.0, "published", "usual intensive SBP cut-point, mmHg")
    therapy_ldl_scale: float = _p(5.0, "assumption", "the benefit fades in over ~5 mg/dl")
    therapy_sbp_scale: float = _p(4.0, "assumption", "the benefit fades in over ~4 mmHg")
    dpav_calibration_n: int = _p(200_000, "assumption",
                                 "size of the fixed draw on which the population LS means and "
                                 "residual SD of PAV change are solved (Monte Carlo error < 0.01)")
    dpav_calibration_seed: int = _p(1592, "assumption",
                                    "seed of that calibration draw (any fixed seed; the JACC page)")
    dpav_per_spotty_deposit: float = _p(0.10, "assumption",
                                        "each further spotty deposit adds progression "
                                        "(dose-response; spotty calcium marks active plaque)")
    dpav_other_offset: float = _p(-0.20, "assumption",
                                  "extensive calcium progresses less than spotty calcium "
                                  "(calcified plaque proposed to be quiescent, abstract)")
    dpav_per_100deg_arc: float = _p(-0.15, "assumption",
                                    "wider arcs of the widest larger deposit, per 100 deg over "
                                    "90: more stable plaque, slower progression")
    dtav_per_dpav: float = _p(0.9, "assumption",
                              "TAV change follows PAV change scaled by the plaque size")
    dtav_sd: float = _p(15.0, "assumption", "extra TAV-change noise, mm3 (trial SDs ~20 mm3)")
    tav_change_limits: tuple = _p((0.5, 2.0), "assumption",
                                  "follow-up TAV between half and double the baseline TAV")


#: The parameters of the bundled cohort.
PARAMS = SimulationParams()


def parameter_table(params: SimulationParams = PARAMS) -> pd.DataFrame:
    """The parameters as a table: ``parameter``, ``value``, ``source``, ``reason``.

    Parameters
    ----------
    params : SimulationParams
        Parameters to list (the bundled cohort's by default).

    Returns
    -------
    pandas.DataFrame
        One row per parameter, in definition order.
    """
    rows = [{"parameter": f.name, "value": str(getattr(params, f.name)),
             "source": f.metadata["source"], "reason": f.metadata["reason"]}
            for f in fields(params)]
    return pd.DataFrame(rows)
