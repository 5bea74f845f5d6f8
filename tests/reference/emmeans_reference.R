# Reference LS means from R's emmeans for tests/unit/test_emmeans_reference.py.
#
# Run from the repository root:
#     Rscript tests/reference/emmeans_reference.R
# Needs R (>= 4.2) and the emmeans package (Debian: r-base-core r-cran-emmeans).
# Writes tests/reference/emmeans_*.csv (numbers printed with 17 significant digits,
# enough to round-trip a double) and emmeans_meta.csv (R and emmeans versions).
#
# Inputs:
#   data/simulated_cohort.csv                   the bundled cohort (1347 patients)
#   tests/reference/emmeans_small_cohort.csv    a small unbalanced subset with missing
#                                               values and "other" rows (see README.md)
#
# Coding (same as analysis/models.py): only calcification none/spotty are compared
# (other is left out); calcification, trial, sex, diabetes, prior_mi and ldl_intensive
# are factors with the first level as reference (none; trial in C-locale sort order;
# female; no; no; standard = LDL-C >= 70); numeric covariates enter linearly and
# emmeans holds them at their mean over the analysed rows (cov.reduce = mean);
# complete cases of the model variables are analysed.

suppressPackageStartupMessages(library(emmeans))

out_dir <- file.path("tests", "reference")
if (!dir.exists(out_dir)) {
  stop("Run from the repository root: Rscript tests/reference/emmeans_reference.R")
}

DEFAULT_COVARIATES <- c("trial", "age", "sex", "diabetes", "prior_mi", "hdl_c")
BASELINE <- c(delta_pav = "pav_baseline", delta_tav = "tav_baseline")

read_cohort <- function(path) {
  d <- read.csv(path, na.strings = c("", "NA"), stringsAsFactors = FALSE)
  d$delta_pav <- d$pav_followup - d$pav_baseline
  d$delta_tav <- d$tav_followup - d$tav_baseline
  d$ldl_intensive <- factor(ifelse(d$ldl_c < 70, "intensive", "standard"),
                            levels = c("standard", "intensive"))
  d <- d[!is.na(d$calcification) & d$calcification %in% c("none", "spotty"), ]
  d$calcification <- factor(d$calcification, levels = c("none", "spotty"))
  d$trial <- factor(d$trial, levels = sort(unique(na.omit(d$trial)), method = "radix"))
  d$sex <- factor(d$sex, levels = c("female", "male"))
  d$diabetes <- factor(d$diabetes, levels = c(0, 1), labels = c("no", "yes"))
  d$prior_mi <- factor(d$prior_mi, levels = c(0, 1), labels = c("no", "yes"))
  d
}

datasets <- list(
  cohort = read_cohort(file.path("data", "simulated_cohort.csv")),
  small = read_cohort(file.path(out_dir, "emmeans_small_cohort.csv"))
)

# complete cases of the model variables, unused factor levels dropped
model_frame <- function(d, vars) {
  d <- d[complete.cases(d[, vars]), vars]
  droplevels(d)
}

num <- function(x) sprintf("%.17g", x)

# text columns quoted, doubles printed with 17 significant digits, integers as they are
write_ref <- function(df, name) {
  text <- which(vapply(df, is.character, logical(1)))
  for (nm in names(df)) {
    if (is.double(df[[nm]])) df[[nm]] <- num(df[[nm]])
  }
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = text)
}

# ---------------------------------------------------------------------------------------
# Main-effects ANCOVA: dv ~ calcification + covariates
# ---------------------------------------------------------------------------------------
main_cases <- list(
  list(case = "cohort_pav_default", data = "cohort", dv = "delta_pav",
       covar = c("pav_baseline", DEFAULT_COVARIATES)),
  list(case = "cohort_tav_default", data = "cohort", dv = "delta_tav",
       covar = c("tav_baseline", DEFAULT_COVARIATES)),
  list(case = "cohort_pav_short", data = "cohort", dv = "delta_pav",
       covar = c("pav_baseline", "trial")),
  list(case = "cohort_tav_short", data = "cohort", dv = "delta_tav",
       covar = c("tav_baseline", "trial")),
  list(case = "small_pav_default", data = "small", dv = "delta_pav",
       covar = c("pav_baseline", DEFAULT_COVARIATES)),
  list(case = "small_tav_default", data = "small", dv = "delta_tav",
       covar = c("tav_baseline", DEFAULT_COVARIATES))
)
WEIGHTINGS <- c("equal", "proportional", "outer", "cells", "flat")

lsm_rows <- list()
con_rows <- list()
for (cs in main_cases) {
  d <- model_frame(datasets[[cs$data]], c(cs$dv, "calcification", cs$covar))
  form <- reformulate(c("calcification", cs$covar), response = cs$dv)
  fit <- lm(form, data = d)
  n_level <- table(d$calcification)
  call_text <- paste(deparse(form, width.cutoff = 500L), collapse = " ")
  for (w in WEIGHTINGS) {
    emm <- emmeans(fit, "calcification", weights = w)
    s <- as.data.frame(summary(emm, infer = c(TRUE, TRUE)))
    lsm_rows[[length(lsm_rows) + 1]] <- data.frame(
      case = cs$case, data = cs$data, dv = cs$dv,
      covariates = paste(cs$covar, collapse = "+"), weights = w,
      level = as.character(s$calcification), emmean = s$emmean, SE = s$SE, df = s$df,
      lower.CL = s$lower.CL, upper.CL = s$upper.CL, t.ratio = s$t.ratio,
      p.value = s$p.value, n = as.integer(n_level[as.character(s$calcification)]),
      n_used = nrow(d), model = call_text, stringsAsFactors = FALSE)
    k <- contrast(emm, list("spotty - none" = c(-1, 1)))
    ks <- as.data.frame(summary(k, infer = c(TRUE, TRUE), adjust = "none"))
    con_rows[[length(con_rows) + 1]] <- data.frame(
      case = cs$case, data = cs$data, dv = cs$dv,
      covariates = paste(cs$covar, collapse = "+"), weights = w,
      contrast = as.character(ks$contrast), estimate = ks$estimate, SE = ks$SE,
      df = ks$df, lower.CL = ks$lower.CL, upper.CL = ks$upper.CL,
      t.ratio = ks$t.ratio, p.value = ks$p.value, n_used = nrow(d),
      model = call_text, stringsAsFactors = FALSE)
  }
}
write_ref(do.call(rbind, lsm_rows), "emmeans_lsmeans.csv")
write_ref(do.call(rbind, con_rows), "emmeans_contrasts.csv")

# ---------------------------------------------------------------------------------------
# Interaction: dv ~ calcification * ldl_intensive + covariates
# ---------------------------------------------------------------------------------------
int_cases <- list(
  list(case = "cohort_pav_ldl", data = "cohort", dv = "delta_pav",
       covar = c("pav_baseline", DEFAULT_COVARIATES)),
  list(case = "cohort_tav_ldl_short", data = "cohort", dv = "delta_tav",
       covar = c("tav_baseline", "trial")),
  list(case = "small_pav_ldl", data = "small", dv = "delta_pav",
       covar = c("pav_baseline", DEFAULT_COVARIATES))
)
cell_rows <- list()
simple_rows <- list()
pint_rows <- list()
for (cs in int_cases) {
  d <- model_frame(datasets[[cs$data]],
                   c(cs$dv, "calcification", "ldl_intensive", cs$covar))
  form <- reformulate(c("calcification * ldl_intensive", cs$covar), response = cs$dv)
  fit <- lm(form, data = d)
  call_text <- paste(deparse(form, width.cutoff = 500L), collapse = " ")
  n_cell <- table(d$calcification, d$ldl_intensive)
  coefs <- summary(fit)$coefficients
  term <- "calcificationspotty:ldl_intensiveintensive"
  pint_rows[[length(pint_rows) + 1]] <- data.frame(
    case = cs$case, data = cs$data, dv = cs$dv,
    covariates = paste(cs$covar, collapse = "+"), term = term,
    estimate = coefs[term, "Estimate"], SE = coefs[term, "Std. Error"],
    t.ratio = coefs[term, "t value"], p.value = coefs[term, "Pr(>|t|)"],
    df = fit$df.residual, n_used = nrow(d), model = call_text, stringsAsFactors = FALSE)
  for (w in c("equal", "proportional", "outer")) {
    emm <- emmeans(fit, ~ calcification * ldl_intensive, weights = w)
    s <- as.data.frame(summary(emm, infer = c(TRUE, TRUE)))
    cell_rows[[length(cell_rows) + 1]] <- data.frame(
      case = cs$case, data = cs$data, dv = cs$dv,
      covariates = paste(cs$covar, collapse = "+"), weights = w,
      group = as.character(s$calcification),
      modifier_level = as.character(s$ldl_intensive),
      emmean = s$emmean, SE = s$SE, df = s$df, lower.CL = s$lower.CL,
      upper.CL = s$upper.CL,
      n = as.integer(n_cell[cbind(as.character(s$calcification),
                                  as.character(s$ldl_intensive))]),
      n_used = nrow(d), model = call_text, stringsAsFactors = FALSE)
    within_group <- as.data.frame(summary(
      contrast(emm, "revpairwise", by = "calcification", adjust = "none"),
      infer = c(TRUE, TRUE)))
    within_therapy <- as.data.frame(summary(
      contrast(emm, "revpairwise", by = "ldl_intensive", adjust = "none"),
      infer = c(TRUE, TRUE)))
    for (part in list(list("therapy within group", within_group, "calcification"),
                      list("group within therapy", within_therapy, "ldl_intensive"))) {
      x <- part[[2]]
      simple_rows[[length(simple_rows) + 1]] <- data.frame(
        case = cs$case, data = cs$data, dv = cs$dv,
        covariates = paste(cs$covar, collapse = "+"), weights = w,
        effect = part[[1]], within = as.character(x[[part[[3]]]]),
        contrast = as.character(x$contrast), estimate = x$estimate, SE = x$SE,
        df = x$df, lower.CL = x$lower.CL, upper.CL = x$upper.CL,
        t.ratio = x$t.ratio, p.value = x$p.value, n_used = nrow(d),
        model = call_text, stringsAsFactors = FALSE)
    }
  }
}
write_ref(do.call(rbind, cell_rows), "emmeans_cells.csv")
write_ref(do.call(rbind, simple_rows), "emmeans_simple_effects.csv")
write_ref(do.call(rbind, pint_rows), "emmeans_interaction_p.csv")

write.csv(data.frame(R = R.version.string,
                     emmeans = as.character(packageVersion("emmeans")),
                     estimability = as.character(packageVersion("estimability")),
                     stringsAsFactors = FALSE),
          file.path(out_dir, "emmeans_meta.csv"), row.names = FALSE)
cat("wrote", file.path(out_dir, "emmeans_*.csv"), "\n")
