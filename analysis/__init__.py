"""Analysis layer of the IVUS study explorer: pure Python, no dash or flask.

The public API (stable; see README "Use from Python") is re-exported here as it lands.
"""
