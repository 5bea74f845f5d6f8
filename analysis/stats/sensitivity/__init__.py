"""Sensitivity analyses of the adjusted spotty - none comparison, one module each.

Every analysis is ``fn(data, dv, *, covar=None, weights="proportional", alpha=0.05, ...)``
and returns a frozen :class:`~analysis.stats.sensitivity.common.SensitivityResult`
(or a subclass holding its extra tables):

==========================  ===========================================================
robust.robust_hc3           OLS with HC3 heteroscedasticity-robust standard errors
mixed.random_trial          trial as a random intercept (MixedLM, REML), guarded
propensity.propensity_...   stabilised, truncated ATE weights; weighted LS with HC0 SE
imputation.multiple_...     chained-equation imputation of covariates, Rubin's rules
trend.deposit_trend         trend over deposit categories as a contrast of LS means
table.sensitivity_table     the main model and all of the above in one tidy frame
==========================  ===========================================================
"""

from analysis.stats.sensitivity.common import SensitivityResult
from analysis.stats.sensitivity.imputation import ImputationResult, multiple_imputation
from analysis.stats.sensitivity.mixed import MixedResult, random_trial
from analysis.stats.sensitivity.propensity import PropensityResult, propensity_weighted
from analysis.stats.sensitivity.robust import robust_hc3
from analysis.stats.sensitivity.table import sensitivity_table
from analysis.stats.sensitivity.trend import deposit_trend

__all__ = ["ImputationResult", "MixedResult", "PropensityResult", "SensitivityResult",
           "deposit_trend", "multiple_imputation", "propensity_weighted", "random_trial",
           "robust_hc3", "sensitivity_table"]
