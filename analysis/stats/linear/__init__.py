"""Linear models fitted by statsmodels OLS on a NumPy design (no formula strings)."""
