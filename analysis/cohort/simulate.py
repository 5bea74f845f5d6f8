"""The simulated cohort: a seeded, vectorised draw from a population model of the study.

The bundled data set is **simulated** (``schema.SIMULATED_LABEL``): it resembles the
published summaries of Kataoka et al. (JACC 2012) but holds no patient data.

How a cohort is made (parameters and the reason for each value are in
``analysis/cohort/params.py``; the draws in ``analysis/cohort/draw.py``):

1. Group sizes are fixed (922 spotty of 1,347 by default, proportional at other ``n``;
   ``n_other`` patients with other calcium on top of the comparison groups).
2. Each group is drawn from its population law, block by block, each block with its
   own random stream: trial and follow-up; age (normal, published group mean); sex,
   diabetes and prior MI (thresholded latent normals, published group percentages);
   HDL-C, baseline PAV and TAV (log-normal with the published group mean and SD, linked
   to the risk factors through their latents); then the unpublished variables.
3. PAV change = trial + baseline PAV + diabetes + HDL-C + LDL-C gradient + the
   group-specific benefit of intensive LDL-C (< 70 mg/dl) and SBP (< 120 mmHg) control
   (smaller with spotty calcium) + a group constant + noise. The constants and the noise
   SD are *population* values (``calibration.delta_constants``): the population LS means
   of the default adjustment model are the published +0.43 / +0.02 and its residual SD
   is ``dpav_residual_sd``.
4. Nothing is rescaled to the published numbers: a cohort of any size and seed varies
   around them as a sample does (the LS means by about their SEs). The bundled cohort is
   the draw ``params.BUNDLED_DRAWS`` at ``SEED``, chosen by ``analysis.cohort.seed_scan``
   so that it meets every published tolerance.
5. The lesion table (one row per calcium deposit) is built so that
   ``derive.group_from_lesions`` gives back each patient's group and ``n_spotty``.
   Patients with other calcium have 0+ spotty deposits and at least one larger one
   (just over 90° or 4 mm, under 1 mm, or extensive: arcs to 360°, lengths to 20 mm),
   and their progression depends on those features. Rows are shuffled (their own
   stream) and numbered P0001, P0002, ...

Command line::

    python -m analysis.cohort.simulate --n 100000 --seed 7 --out big.parquet --lesions-out l.parquet
    python -m analysis.cohort.simulate --bundled      # rewrite data/ (the committed cohort)
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.cohort.calibration import delta_constants
from analysis.cohort.draw import BLOCKS, NONE, OTHER, SPOTTY, block_rng, delta_block, draw_group
from analysis.cohort.files import check_suffix, write_cohort, write_lesions
from analysis.cohort.moments import SimulationError
from analysis.cohort.params import BUNDLED_DRAWS, N_PUBLISHED, PARAMS, SEED, SimulationParams
from analysis.data import schema
from analysis.settings import BUNDLED_COHORT, BUNDLED_LESIONS, DATA_DIR

__all__ = ["SEED", "SimulationError", "simulate_cohort", "write_cohort", "write_lesions",
           "write_bundled", "main"]

#: Smallest cohort the generator accepts.
MIN_N = 40
_GROUPS = (NONE, SPOTTY, OTHER)


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_args(n: int, seed: int, n_spotty_group: int | None, n_other: int,
                p: SimulationParams) -> tuple[int, int]:
    """Validated (n_spotty_group, n_other); a SimulationError saying what to change."""
    if not _is_int(n) or n < MIN_N:
        raise SimulationError(f"n must be an integer of at least {MIN_N}; got {n!r}.")
    if not _is_int(seed) or seed < 0:
        raise SimulationError(f"seed must be a non-negative integer; got {seed!r}.")
    if not _is_int(n_other) or n_other < 0:
        raise SimulationError(f"n_other must be a non-negative integer; got {n_other!r}.")
    n_cmp = n - n_other
    if n_cmp < MIN_N:
        raise SimulationError(f"n_other must leave at least {MIN_N} patients in the spotty and "
                              f"no-calcification groups; n={n}, n_other={n_other}.")
    if n_spotty_group is None:
        n_spotty_group = int(round(n_cmp * p.n_spotty / (p.n_spotty + p.n_none)))
    if not _is_int(n_spotty_group) or not 10 <= n_spotty_group <= n_cmp - 10:
        raise SimulationError(
            f"n_spotty_group must leave at least 10 patients in each of the spotty and "
            f"no-calcification groups (n={n}, n_other={n_other}); got {n_spotty_group!r}.")
    return int(n_spotty_group), int(n_other)


def _check_draws(draws: Mapping[str, int]) -> Mapping[str, int]:
    """``draws`` if every key is a stream and every value a non-negative integer."""
    known = (*BLOCKS, "order")
    for key, value in dict(draws).items():
        if key not in known:
            raise SimulationError(f"draws: unknown stream {key!r}; keys must be streams: "
                                  f"{', '.join(known)}.")
        if not _is_int(value) or value < 0:
            raise SimulationError(f"draws[{key!r}] must be a non-negative integer; "
                                  f"got {value!r}.")
    return draws


def simulate_cohort(n: int = N_PUBLISHED, seed: int = SEED, *, n_spotty_group: int | None = None,
                    n_other: int = 0, params: SimulationParams = PARAMS,
                    draws: Mapping[str, int] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Draw a cohort from the population model calibrated to the published summaries.

    Parameters
    ----------
    n : int
        Number of patients (at least ``MIN_N``). Default: the published 1,347.
    seed : int
        Non-negative seed of every random stream; the same seed gives the same cohort.
    n_spotty_group : int, optional
        Number of patients with spotty calcification. Default: proportional to the
        published 922 of 1,347 among the ``n - n_other`` compared patients.
    n_other : int
        Number of patients with other (wide-arc or long) calcium, outside the comparison.
    params : SimulationParams
        The generator's parameters (``analysis.cohort.params.PARAMS``).
    draws : mapping of str to int, optional
        Draw number of each random stream (``draw.BLOCKS`` and ``"order"``); default
        ``params.BUNDLED_DRAWS``, the draws of the bundled cohort.

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
        If ``n`` or ``seed`` is invalid or the group sizes are impossible.
    """
    n_spotty_group, n_other = _check_args(n, seed, n_spotty_group, n_other, params)
    draws = BUNDLED_DRAWS if draws is None else _check_draws(draws)
    sizes = (n - n_other - n_spotty_group, n_spotty_group, n_other)
    c_none, c_spotty, sigma = delta_constants(params)
    constants = (c_none, c_spotty, c_spotty)  # other calcium progresses like spotty
    states = []
    for g, size in zip(_GROUPS, sizes, strict=True):
        st = draw_group(size, g, seed, draws, params)
        delta_block(st, block_rng(seed, "delta", g, draws.get("delta", 0)), g, params,
                    constants[g], sigma)
        states.append(st)
    order_rng = np.random.default_rng([seed, len(BLOCKS), 0, draws.get("order", 0)])
    return _assemble(states, order_rng.permutation(n), params)


def _assemble(states: list[dict], order: np.ndarray, p: SimulationParams
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patient and lesion tables: groups stacked, rows put in ``order``, ids P0001..."""
    def cat(name: str) -> np.ndarray:
        return np.concatenate([st[name] for st in states])[order]

    code = np.concatenate([np.full(st["n"], g, dtype=np.int8)
                           for g, st in zip(_GROUPS, states, strict=True)])[order]
    n = code.shape[0]
    width = max(4, len(str(n)))
    ids = np.char.add("P", np.char.zfill(np.arange(1, n + 1).astype(str), width))
    cols = {
        "patient_id": pd.array(ids, dtype="str"),
        "trial": pd.Categorical.from_codes(cat("trial"), categories=list(p.trials)),
        "followup_months": cat("followup"), "age": cat("age"),
        "sex": pd.Categorical.from_codes(cat("male").astype(np.int8),
                                         categories=["female", "male"]),
        "bmi": cat("bmi"), "diabetes": cat("diabetes"), "hypertension": cat("hypertension"),
        "current_smoker": cat("smoker"), "prior_mi": cat("prior_mi"),
        "ldl_c_baseline": cat("ldl_base"), "ldl_c": cat("ldl"), "hdl_c": cat("hdl"),
        "triglycerides": cat("tg"), "crp": cat("crp"), "sbp": cat("sbp"), "dbp": cat("dbp"),
        "statin": cat("statin"), "beta_blocker": cat("beta_blocker"), "ace_arb": cat("ace_arb"),
        schema.GROUP: code, "n_spotty": cat("n_spotty"),
        "pav_baseline": cat("pav"), "pav_followup": cat("pav_fu"),
        "tav_baseline": cat("tav"), "tav_followup": cat("tav_fu"),
    }
    # lesions: each group's local row -> its stacked row -> its position after shuffling
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    offsets = np.cumsum([0] + [st["n"] for st in states[:-1]])
    rows = position[np.concatenate([st["les_row"] + off for st, off in zip(states, offsets,
                                                                             strict=True)])]
    keep = np.argsort(rows, kind="stable")
    lesions = pd.DataFrame({
        "patient_id": pd.array(ids[rows[keep]], dtype="str"),
        "arc_deg": np.concatenate([st["les_arc"] for st in states])[keep],
        "length_mm": np.concatenate([st["les_len"] for st in states])[keep],
    })
    return _typed_frame(cols), lesions


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


def bundled_cohort(params: SimulationParams = PARAMS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled study at ``SEED``: the published comparison (922 spotty, 425 without
    calcium) plus ``bundled_n_other`` patients with other calcification, outside it.

    The comparison groups are the same patients as ``simulate_cohort()`` draws (each
    group has its own streams); only row order and ids differ.
    """
    n_other = params.bundled_n_other
    return simulate_cohort(N_PUBLISHED + n_other, SEED, n_spotty_group=params.n_spotty,
                           n_other=n_other, params=params)


def write_bundled(data_dir: str | Path = DATA_DIR) -> list[Path]:
    """Regenerate the committed files of ``data/`` (``bundled_cohort()``).

    Writes ``simulated_cohort.csv`` (+ ``.meta.json``), ``simulated_lesions.csv`` and
    ``dictionary.csv`` (``schema.dictionary_frame()``).
    """
    data_dir = Path(data_dir)
    patients, lesions = bundled_cohort()
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
                    help="rewrite the committed study in data/ (default seed, 922 spotty, "
                         "425 none and the bundled patients with other calcium)")
    args = ap.parse_args(argv)
    try:
        if args.bundled:
            for path in write_bundled():
                print(path)
            return 0
        if not args.out:
            ap.error("--out FILE is required (or use --bundled)")
        check_suffix(Path(args.out))
        if args.lesions_out:
            check_suffix(Path(args.lesions_out))
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
