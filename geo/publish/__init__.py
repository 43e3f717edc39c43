"""What may leave the operational team: suppressed counts, published figures, safe exports, the report pack.

- :mod:`geo.publish.privacy`: suppression and rounding of small counts.
- :mod:`geo.publish.published`: outcomes in their published form (changes from shown values only).
- :mod:`geo.publish.export`: CSV that spreadsheets open as plain text.
- :mod:`geo.publish.charts` and :mod:`geo.publish.report`: the PDF and one-file HTML report pack
  (imported on their own: they load matplotlib and fpdf2).
"""

from geo.publish.export import frame_to_csv_bytes, neutralise_formulas
from geo.publish.privacy import label, safe_change, suppress, suppress_labels, threshold
from geo.publish.published import PublishedOutcomes, publish

__all__ = [
    "PublishedOutcomes",
    "frame_to_csv_bytes",
    "label",
    "neutralise_formulas",
    "publish",
    "safe_change",
    "suppress",
    "suppress_labels",
    "threshold",
]
