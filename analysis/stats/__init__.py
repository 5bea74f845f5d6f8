"""Statistics on a selected frame: descriptive, Table 1, progression, distributions.

``linear/`` holds the linear models (design, fit, ANCOVA, interactions, subgroups,
dose-response).
"""
