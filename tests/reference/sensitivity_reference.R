# Reference numbers from R for the sensitivity analyses (tests/unit/stats/sensitivity/).
#
# Run from the repository root:
#     Rscript tests/reference/sensitivity_reference.R
# Needs R (>= 4.2) with emmeans, lme4 and sandwich
# (Debian: r-base-core r-cran-emmeans r-cran-lme4 r-cran-sandwich).
# Writes tests/reference/sensitivity_*.csv (numbers with 17 significant digits) and
# sensitivity_meta.csv (R and package versions).
#
# Inputs: data/simulated_cohort.csv (1347 patients) and
# tests/reference/emmeans_small_cohort.csv (63 patients with missing values and
# "other" rows; see README.md), read and coded exactly as emmeans_reference.R does:
# delta_pav = pav_followup - pav_baseline, delta_tav likewise; calcification none/spotty
# only; factors with the first level as reference; complete cases of the model variables.
#
# Analyses (each row of the outputs names its case and analysis):
#   hc3     lm() with sandwich::vcovHC(type = "HC3"); the spotty - none contrast by
#           emmeans(fit, "calcification", vcov. = V) on the residual df
#   lmer    lme4::lmer(dv ~ calcification + covariates without trial + (1 | trial),
#           REML = TRUE); fixef(), sqrt(diag(vcov())), VarCorr()
#   ps_wls  glm(spotty ~ covariates, binomial); stabilised ATE weights
#           P(spotty)/e and (1 - P(spotty))/(1 - e); truncated at quantile(w, c(.01, .99))
#           (type 7); lm(dv ~ calcification + covariates, weights = w) with
#           sandwich::vcovHC(type = "HC0"); balance by the Austin & Stuart (2015) weighted SMD
#   trend   lm(dv ~ deposit category (0, 1, 2, 3+ from n_spotty) + covariates);
#           contrast(emmeans(fit, "dep_cat"), list(linear = c(-3, -1, 1, 3) / 10))

suppressPackageStartupMessages({
  library(emmeans)
  library(lme4)
  library(sandwich)
})

out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) {
  stop("Run from the repository root: Rscript tests/reference/sensitivity_reference.R")
}

DEFAULT_COVARIATES <- c("trial", "age", "sex", "diabetes", "prior_mi", "hdl_c")
BASELINE <- c(delta_pav = "pav_baseline", delta_tav = "tav_baseline")
FACTORS <- c("calcification", "trial", "sex", "diabetes", "prior_mi", "dep_cat")

read_cohort <- function(path) {
  d <- read.csv(path, na.strings = c("", "NA"), stringsAsFactors = FALSE)
  d$delta_pav <- d$pav_followup - d$pav_baseline
  d$delta_tav <- d$tav_followup - d$tav_baseline
  d <- d[!is.na(d$calcification) & d$calcification %in% c("none", "spotty"), ]
  d$calcification <- factor(d$calcification, levels = c("none", "spotty"))
  d$trial <- factor(d$trial, levels = sort(unique(na.omit(d$trial)), method = "radix"))
  d$sex <- factor(d$sex, levels = c("female", "male"))
  d$diabetes <- factor(d$diabetes, levels = c(0, 1), labels = c("no", "yes"))
  d$prior_mi <- factor(d$prior_mi, levels = c(0, 1), labels = c("no", "yes"))
  d$dep_cat <- factor(pmin(d$n_spotty, 3), levels = 0:3, labels = c("0", "1", "2", "3+"))
  d
}

datasets <- list(
  cohort = read_cohort(file.path("data", "simulated_cohort.csv")),
  small = read_cohort(file.path(out_dir, "emmeans_small_cohort.csv"))
)

model_frame <- function(d, vars) droplevels(d[complete.cases(d[, vars]), vars])

num <- function(x) sprintf("%.17g", x)

write_ref <- function(df, name) {
  text <- which(vapply(df, is.character, logical(1)))
  for (nm in names(df)) {
    if (is.double(df[[nm]])) df[[nm]] <- num(df[[nm]])
  }
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = text)
}

# R's coefficient names -> ours: "(Intercept)" -> "Intercept", "trialTRIAL-B" -> "trial[TRIAL-B]"
our_names <- function(nms, d) {
  out <- nms
  out[out == "(Intercept)"] <- "Intercept"
  for (v in intersect(FACTORS, names(d))) {
    for (lev in levels(d[[v]])[-1]) out[out == paste0(v, lev)] <- paste0(v, "[", lev, "]")
  }
  out
}

rhs <- function(terms) paste(terms, collapse = " + ")

cases <- list(
  list(case = "cohort_pav_default", data = "cohort", dv = "delta_pav"),
  list(case = "cohort_tav_default", data = "cohort", dv = "delta_tav"),
  list(case = "small_pav_default", data = "small", dv = "delta_pav")
)

coefs <- list()
contrasts <- list()
values <- list()
balance <- list()

add_coefs <- function(cs, analysis, est, se, d) {
  coefs[[length(coefs) + 1]] <<- data.frame(
    case = cs$case, analysis = analysis, term = our_names(names(est), d),
    estimate = unname(est), se = unname(se), stringsAsFactors = FALSE)
}

add_contrast <- function(cs, analysis, covar, est, se, df, p, lo, hi, n) {
  contrasts[[length(contrasts) + 1]] <<- data.frame(
    case = cs$case, data = cs$data, dv = cs$dv, analysis = analysis,
    covariates = paste(covar, collapse = "+"), estimate = est, se = se, df = df, p = p,
    ci_low = lo, ci_high = hi, n = n, stringsAsFactors = FALSE)
}

add_value <- function(cs, analysis, statistic, value) {
  values[[length(values) + 1]] <<- data.frame(
    case = cs$case, analysis = analysis, statistic = statistic, value = value,
    stringsAsFactors = FALSE)
}

# Austin & Stuart (2015) weighted SMD, treated minus control
wsmd <- function(x, t, w) {
  binary <- all(x %in% c(0, 1))
  mv <- function(g) {
    xs <- x[t == g]; ws <- w[t == g]
    m <- sum(ws * xs) / sum(ws)
    v <- if (binary) m * (1 - m) else sum(ws) / (sum(ws)^2 - sum(ws^2)) * sum(ws * (xs - m)^2)
    c(m, v)
  }
  a <- mv(1); b <- mv(0)
  (a[1] - b[1]) / sqrt((a[2] + b[2]) / 2)
}

for (cs in cases) {
  covar <- c(BASELINE[[cs$dv]], DEFAULT_COVARIATES)
  d <- model_frame(datasets[[cs$data]], c(cs$dv, "calcification", covar, "n_spotty", "dep_cat"))
  n <- nrow(d)
  f_main <- as.formula(paste(cs$dv, "~", rhs(c("calcification", covar))))

  # --- HC3 ---------------------------------------------------------------------------
  fit <- lm(f_main, data = d)
  V3 <- vcovHC(fit, type = "HC3")
  add_coefs(cs, "hc3", coef(fit), sqrt(diag(V3)), d)
  emm <- emmeans(fit, "calcification", vcov. = V3)
  con <- summary(contrast(emm, list("spotty - none" = c(-1, 1))), infer = c(TRUE, TRUE))
  add_contrast(cs, "hc3", covar, con$estimate, con$SE, con$df, con$p.value, con$lower.CL,
               con$upper.CL, n)

  # --- trend over deposit categories -------------------------------------------------
  fit_t <- lm(as.formula(paste(cs$dv, "~", rhs(c("dep_cat", covar)))), data = d)
  emm_t <- emmeans(fit_t, "dep_cat", weights = "proportional")
  ct <- summary(contrast(emm_t, list(linear = c(-3, -1, 1, 3) / 10)), infer = c(TRUE, TRUE))
  add_contrast(cs, "trend", covar, ct$estimate, ct$SE, ct$df, ct$p.value, ct$lower.CL,
               ct$upper.CL, n)

  # --- propensity-score weighting ----------------------------------------------------
  ps_fit <- glm(as.formula(paste("calcification ~", rhs(covar))), family = binomial, data = d,
                control = glm.control(epsilon = 1e-14, maxit = 100))
  e <- fitted(ps_fit)
  t <- as.integer(d$calcification == "spotty")
  share <- mean(t)
  w_raw <- ifelse(t == 1, share / e, (1 - share) / (1 - e))
  bounds <- quantile(w_raw, c(0.01, 0.99), type = 7, names = FALSE)
  w <- pmin(pmax(w_raw, bounds[1]), bounds[2])
  fit_w <- lm(f_main, data = d, weights = w)
  V0 <- vcovHC(fit_w, type = "HC0")
  add_coefs(cs, "ps_wls", coef(fit_w), sqrt(diag(V0)), d)
  est <- unname(coef(fit_w)["calcificationspotty"])
  se <- sqrt(V0["calcificationspotty", "calcificationspotty"])
  dfr <- df.residual(fit_w)
  q <- qt(0.975, dfr)
  add_contrast(cs, "ps_wls", covar, est, se, dfr, 2 * pt(-abs(est / se), dfr), est - q * se,
               est + q * se, n)
  add_value(cs, "ps_wls", "truncation lower bound", bounds[1])
  add_value(cs, "ps_wls", "truncation upper bound", bounds[2])
  add_value(cs, "ps_wls", "effective sample size", sum(w)^2 / sum(w^2))
  Z <- model.matrix(ps_fit)[, -1, drop = FALSE]
  balance[[length(balance) + 1]] <- data.frame(
    case = cs$case, term = our_names(colnames(Z), d),
    smd_before = apply(Z, 2, wsmd, t = t, w = rep(1, n)),
    smd_after = apply(Z, 2, wsmd, t = t, w = w), stringsAsFactors = FALSE)

  # --- trial as a random intercept (cohort only: the small set has 3 trials) -----------
  if (cs$data == "cohort") {
    fixed <- setdiff(covar, "trial")
    fit_m <- lmer(as.formula(paste(cs$dv, "~", rhs(c("calcification", fixed)), "+ (1 | trial)")),
                  data = d, REML = TRUE,
                  control = lmerControl(optCtrl = list(ftol_abs = 1e-12, xtol_abs = 1e-12)))
    Vm <- as.matrix(vcov(fit_m))
    add_coefs(cs, "lmer", fixef(fit_m), sqrt(diag(Vm)), d)
    est <- unname(fixef(fit_m)["calcificationspotty"])
    se <- sqrt(Vm["calcificationspotty", "calcificationspotty"])
    add_contrast(cs, "lmer", fixed, est, se, Inf, 2 * pnorm(-abs(est / se)),
                 est - qnorm(0.975) * se, est + qnorm(0.975) * se, n)
    vc <- as.data.frame(VarCorr(fit_m))
    add_value(cs, "lmer", "trial variance", vc$vcov[vc$grp == "trial"])
    add_value(cs, "lmer", "residual variance", vc$vcov[vc$grp == "Residual"])
  }
}

write_ref(do.call(rbind, coefs), "sensitivity_coefficients.csv")
write_ref(do.call(rbind, contrasts), "sensitivity_contrasts.csv")
write_ref(do.call(rbind, values), "sensitivity_values.csv")
write_ref(do.call(rbind, balance), "sensitivity_balance.csv")
write.csv(data.frame(R = R.version.string,
                     emmeans = as.character(packageVersion("emmeans")),
                     lme4 = as.character(packageVersion("lme4")),
                     sandwich = as.character(packageVersion("sandwich"))),
          file.path(out_dir, "sensitivity_meta.csv"), row.names = FALSE)
