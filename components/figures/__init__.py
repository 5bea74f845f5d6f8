"""Figure factories, the figure block of a page and the footnote of a figure.

Every factory is ``make_*_figure(result, *, ...) -> go.Figure``: it takes an analysis
result (or the tidy frame it holds), reads no globals and loads no data. The footnote
(n, filters, method, simulated label; :class:`Footnote`) is not drawn in the figure:
pages show it as a caption under the figure (:func:`figure_block`, :func:`caption`),
exports as a band below the image.

Modules: ``footnote`` (the Footnote), ``blocks`` (Graph + caption, export names),
``base`` (template, dodging, category slots), one module per kind of figure:
``means``, ``progression``, ``subgroups``, ``therapy``.
"""

from components.figures.blocks import (
    PNG_SCALE,
    SVG_BUTTON,
    caption,
    caption_id,
    export_filename,
    figure_block,
    graph_config,
    message_figure,
)
from components.figures.footnote import Footnote
from components.figures.means import make_ls_means_figure
from components.figures.progression import (
    make_box_figure,
    make_dose_response_figure,
    make_ecdf_figure,
    make_histogram_figure,
    make_paired_figure,
    make_regression_figure,
)
from components.figures.subgroups import forest_columns, make_forest_figure
from components.figures.therapy import make_continuous_interaction_figure, make_interaction_figure

__all__ = [
    "PNG_SCALE", "SVG_BUTTON", "Footnote", "caption", "caption_id", "export_filename",
    "figure_block", "forest_columns", "graph_config", "make_box_figure",
    "make_continuous_interaction_figure", "make_dose_response_figure", "make_ecdf_figure",
    "make_forest_figure", "make_histogram_figure", "make_interaction_figure",
    "make_ls_means_figure", "make_paired_figure", "make_regression_figure", "message_figure",
]
