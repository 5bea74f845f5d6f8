"""Study data: the data dictionary, readers, column mapping, validation, loader, registry."""
