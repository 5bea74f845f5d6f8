"""The one cache and the cached entry points the pages and notebooks call."""
