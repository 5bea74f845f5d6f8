"""An R script that reproduces the numbers of a view from its CSV download.

Base R ``lm`` for the models and ``emmeans`` for the LS means (numeric covariates at
their mean: ``cov.keep = character(0)``; ``weights`` "proportional" or "equal" as the
view chose); ``t.test``, ``wilcox.test``, ``chisq.test`` and ``fisher.test`` for
Table 1. It reads ``data.csv`` from the folder it runs in and prints ``label: value``
lines at full precision (17 significant digits), with the labels of
:attr:`reports.view.View.numbers`. A kit with the Sensitivity section also gets the
HC3 estimate (``sandwich::vcovHC(type = "HC3")`` of the ``lm``) and the propensity-score
weighted one (``glm(family = binomial)``, stabilised ATE weights truncated at the kit's
percentiles by ``quantile`` type 7, ``lm(weights = )`` with ``sandwich::vcovHC(type =
"HC0")``); t tests on the residual df, as the app reports them.
"""

from __future__ import annotations

from analysis.data.schema import VARIABLES
from reports.script_py import disclosure_inputs, script_inputs, sensitivity_inputs
from reports.view import View, ViewError

TEMPLATE = r'''# Reproduces the numbers of a view of the IVUS study explorer.
#
# View: __LINK__
# Dataset: __DATASET__ (fingerprint __FINGERPRINT__)
# Filters: __FILTERS__
# __LABEL__
# Run with no arguments from the folder that holds data.csv (the Data page's CSV of
# the same filters):  Rscript view.R
# Needs R and the emmeans package (and sandwich for the sensitivity analyses).
# Prints "label: value" lines at full precision.

suppressPackageStartupMessages(library(emmeans))

OUTCOME <- __OUTCOME__
COVARIATES <- __COVARIATES__   # as fitted by the app (the outcome's baseline first)
FACTORS <- __FACTORS__         # covariates that are factors (categories and yes/no)
WEIGHTS <- __WEIGHTS__         # LS-mean weights over factor covariates
THERAPY <- __THERAPY__         # therapy flag -> its measurement (flags at the view's cuts)
TABLE1 <- __TABLE1__           # Table 1 variable -> the test behind its p-value
SENS_HC3 <- __SENS_HC3__         # reproduce the HC3 estimate of the Sensitivity section
SENS_PS <- __SENS_PS__           # ... and the propensity-score weighted one
TRIM <- __TRIM__                 # percent of the weights truncated at each end
GROUPS <- c("none", "spotty")  # the comparison; "other" calcification is left out
SUPPRESS_K <- __SUPPRESS_K__   # the app's disclosure control: counts 1..K are not printed
ROUND_BASE <- __ROUND_BASE__   # printed counts are rounded to this base (1 = as they are)

data <- read.csv("data.csv", fileEncoding = "UTF-8-BOM", na.strings = "",
                 stringsAsFactors = FALSE, check.names = FALSE)
data <- data[!is.na(data$calcification) & data$calcification %in% GROUPS, ]
data$calcification <- factor(data$calcification, levels = GROUPS)

show <- function(label, value) cat(label, ": ", sprintf("%.17g", value), "\n", sep = "")
# the counts as the app shows them: NA for all when one is 1..SUPPRESS_K, else rounded
shown_counts <- function(counts) {
  if (any(counts > 0 & counts <= SUPPRESS_K)) return(counts * NA)
  ROUND_BASE * ((2 * counts + ROUND_BASE) %/% (2 * ROUND_BASE))
}
show_count <- function(label, counts) {
  if (is.na(counts[[label]])) {
    cat(label, ": suppressed (a count <= ", SUPPRESS_K, ")\n", sep = "")
  } else show(label, counts[[label]])
}

model_frame <- function(vars) {
  d <- data[complete.cases(data[, vars, drop = FALSE]), vars, drop = FALSE]
  for (v in intersect(vars, FACTORS)) d[[v]] <- factor(d[[v]])
  droplevels(d)
}

# lm on complete cases; with `drop`, also the model without that term (same rows)
fit_lm <- function(rhs, vars, drop = NULL) {
  d <- model_frame(vars)
  form <- as.formula(paste(c(paste("`", OUTCOME, "` ~ ", rhs, sep = ""),
                             sprintf("`%s`", COVARIATES)), collapse = " + "))
  out <- list(fit = lm(form, data = d), d = d)
  if (!is.null(drop)) {
    out$reduced <- lm(update.formula(form, as.formula(paste(". ~ . -", drop))), data = d)
  }
  out
}

est_row <- function(s, i) c(s$emmean[i], s$SE[i], s$lower.CL[i], s$upper.CL[i])

# ---------------------------------------------------------------- counts
m <- fit_lm("calcification", c(OUTCOME, "calcification", COVARIATES))
COUNTS <- c(sapply(GROUPS, function(g) sum(data$calcification == g)), nrow(m$d))
names(COUNTS) <- c(paste("n", GROUPS), "ancova n used")
COUNTS <- shown_counts(COUNTS)
for (g in GROUPS) show_count(paste("n", g), COUNTS)

# ---------------------------------------------------------------- ANCOVA
show_count("ancova n used", COUNTS)
emm <- emmeans(m$fit, "calcification", weights = WEIGHTS, cov.keep = character(0),
               data = m$d)
s <- as.data.frame(summary(emm, infer = c(TRUE, TRUE)))
for (i in seq_along(GROUPS)) {
  g <- as.character(s$calcification[i])
  r <- est_row(s, i)
  show(paste("ancova LS mean", g), r[1]); show(paste("ancova SE", g), r[2])
  show(paste("ancova CI low", g), r[3]); show(paste("ancova CI high", g), r[4])
}
k <- as.data.frame(summary(contrast(emm, list("spotty - none" = c(-1, 1))),
                           infer = c(TRUE, TRUE), adjust = "none"))
show("ancova spotty - none estimate", k$estimate); show("ancova spotty - none SE", k$SE)
show("ancova spotty - none CI low", k$lower.CL); show("ancova spotty - none CI high", k$upper.CL)
show("ancova spotty - none p", k$p.value)

# ---------------------------------------------------------------- sensitivity analyses
# spotty - none of a main-effects model is the group coefficient; t on the residual df
show_coef <- function(stem, fit, V, n) {
  b <- unname(coef(fit)["calcificationspotty"])
  se <- sqrt(V["calcificationspotty", "calcificationspotty"])
  df <- df.residual(fit)
  q <- qt(0.975, df)
  show(paste(stem, "estimate"), b); show(paste(stem, "SE"), se)
  show(paste(stem, "CI low"), b - q * se); show(paste(stem, "CI high"), b + q * se)
  show(paste(stem, "p"), 2 * pt(-abs(b / se), df)); show(paste(stem, "n"), n)
}
if (SENS_HC3 || SENS_PS) suppressPackageStartupMessages(library(sandwich))
if (SENS_HC3) {
  m <- fit_lm("calcification", c(OUTCOME, "calcification", COVARIATES))
  show_coef("sensitivity HC3", m$fit, vcovHC(m$fit, type = "HC3"), nrow(m$d))
}
if (SENS_PS) {
  m <- fit_lm("calcification", c(OUTCOME, "calcification", COVARIATES))
  d <- m$d
  d$spotty_ <- as.numeric(d$calcification == "spotty")
  ps_form <- as.formula(paste("spotty_ ~", paste(sprintf("`%s`", COVARIATES), collapse = " + ")))
  e <- fitted(glm(ps_form, family = binomial, data = d))
  share <- mean(d$spotty_)
  w <- ifelse(d$spotty_ == 1, share / e, (1 - share) / (1 - e))
  bounds <- if (TRIM > 0) quantile(w, c(TRIM, 100 - TRIM) / 100, type = 7, names = FALSE)
            else range(w)
  d$ps_weight_ <- pmin(pmax(w, bounds[1]), bounds[2])
  show("sensitivity PS weight lower bound", bounds[1])
  show("sensitivity PS weight upper bound", bounds[2])
  show("sensitivity PS effective sample size", sum(d$ps_weight_)^2 / sum(d$ps_weight_^2))
  fit_w <- lm(formula(m$fit), data = d, weights = ps_weight_)
  show_coef("sensitivity PS-weighted", fit_w, vcovHC(fit_w, type = "HC0"), nrow(d))
}

# ---------------------------------------------------------------- therapy interactions
for (flag in names(THERAPY)) {
  measure <- THERAPY[[flag]]
  data$therapy <- factor(ifelse(data[[flag]] == 1, "intensive", "standard"),
                         levels = c("standard", "intensive"))
  m <- fit_lm("calcification * therapy", c(OUTCOME, "calcification", "therapy", COVARIATES),
              drop = "calcification:therapy")
  show(paste(flag, "interaction p"), anova(m$reduced, m$fit)[2, "Pr(>F)"])
  emm <- emmeans(m$fit, ~ calcification * therapy, weights = WEIGHTS,
                 cov.keep = character(0), data = m$d)
  s <- as.data.frame(summary(emm, infer = c(TRUE, TRUE)))
  for (i in seq_len(nrow(s))) {
    cell <- paste(s$calcification[i], s$therapy[i])
    r <- est_row(s, i)
    show(paste(flag, "LS mean", cell), r[1]); show(paste(flag, "SE", cell), r[2])
    show(paste(flag, "CI low", cell), r[3]); show(paste(flag, "CI high", cell), r[4])
  }
  # cells in emmeans order: none/standard, spotty/standard, none/intensive, spotty/intensive
  effects <- list("none intensive - standard" = c(-1, 0, 1, 0),
                  "spotty intensive - standard" = c(0, -1, 0, 1),
                  "standard spotty - none" = c(-1, 1, 0, 0),
                  "intensive spotty - none" = c(0, 0, -1, 1))
  k <- as.data.frame(summary(contrast(emm, effects), infer = c(TRUE, TRUE), adjust = "none"))
  for (i in seq_len(nrow(k))) {
    show(paste(flag, "effect", k$contrast[i], "estimate"), k$estimate[i])
    show(paste(flag, "effect", k$contrast[i], "SE"), k$SE[i])
    show(paste(flag, "effect", k$contrast[i], "p"), k$p.value[i])
  }
  m <- fit_lm(sprintf("calcification * `%s`", measure),
              c(OUTCOME, "calcification", measure, COVARIATES),
              drop = sprintf("calcification:`%s`", measure))
  show(paste(measure, "continuous interaction p"), anova(m$reduced, m$fit)[2, "Pr(>F)"])
}

# ---------------------------------------------------------------- Table 1 p-values
for (name in names(TABLE1)) {
  test <- TABLE1[[name]]
  x <- data[!is.na(data[[name]]), c(name, "calcification")]
  a <- x[x$calcification == "spotty", name]
  b <- x[x$calcification == "none", name]
  p <- if (test == "Welch t-test") {
    t.test(a, b, var.equal = FALSE)$p.value
  } else if (test == "Mann-Whitney U") {
    # scipy's default: exact only for small samples without ties, else normal with
    # continuity and tie corrections
    wilcox.test(a, b, exact = (length(a) <= 8 && length(b) <= 8 && !anyDuplicated(c(a, b))),
                correct = TRUE)$p.value
  } else {
    tab <- table(as.character(x[[name]]), droplevels(x$calcification))
    tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
    if (test == "Fisher exact") fisher.test(tab)$p.value
    else suppressWarnings(chisq.test(tab, correct = FALSE)$p.value)
  }
  show(paste("table1 p", name), p)
}
'''


def _r_string(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _r_vector(items) -> str:
    return "c(" + ", ".join(_r_string(i) for i in items) + ")" if items else "character(0)"


def _r_list(pairs) -> str:
    return "list(" + ", ".join(f"{_r_string(k)} = {_r_string(v)}" for k, v in pairs) + ")"


def r_script(view: View) -> str:
    """The R script of ``view`` (see the module docstring)."""
    inputs = script_inputs(view)
    outcome = view.model.outcome
    if outcome not in VARIABLES:
        raise ViewError(f"{outcome!r} is not a variable of the data dictionary")
    therapy = [(flag, measure) for flag, measure, _cut in inputs["therapy"]]
    sens = sensitivity_inputs(view)
    repl = {
        "__LINK__": view.link, "__DATASET__": view.dataset, "__FINGERPRINT__": view.fingerprint,
        "__FILTERS__": "; ".join(view.filters) or "none (all patients)",
        "__LABEL__": view.simulated_label,
        "__OUTCOME__": _r_string(outcome),
        "__COVARIATES__": _r_vector(inputs["covariates"]),
        "__FACTORS__": _r_vector(inputs["factors"]),
        "__WEIGHTS__": _r_string(view.model.weights),
        "__THERAPY__": _r_list(therapy),
        "__TABLE1__": _r_list((n, view.table1_tests[n]) for n in inputs["table1"]),
        "__SENS_HC3__": "TRUE" if sens["hc3"] else "FALSE",
        "__SENS_PS__": "TRUE" if sens["ps"] else "FALSE",
        "__TRIM__": repr(float(sens["trim"])),
        **disclosure_inputs(),
    }
    text = TEMPLATE
    for key, value in repl.items():
        text = text.replace(key, str(value).replace("\n", " "))
    return text


__all__ = ["r_script"]
