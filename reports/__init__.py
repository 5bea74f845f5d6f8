"""The meeting kit of a view: slide deck, HTML report, scripts that reproduce it, zip."""
