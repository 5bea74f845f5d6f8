"""Which patients are analysed: the canonical filter spec, its query string, attrition."""
