"""Report: a self-contained HTML page of what a run trained and measured.

`keras-seq demo` writes one: a section per application with its figures
(training curves, attention maps, frame strips, GIFs), a table of its test
metrics and its samples (generated text, translations, captions). The page
has no script and loads nothing from the network; images are files beside
it, referenced by relative paths, so the folder can be copied or served as
it is.
"""

import html
import json
import os

from keras_seq.utils.file_utils import atomic_write_text

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em;
       padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
pre { background: #f7f7f7; padding: 0.6em; white-space: pre-wrap; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.9em; color: #555; }
.elapsed { color: #777; font-size: 0.9em; }
"""


def _format(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


class Report:
    """Builds the HTML page section by section, then writes it atomically.

    Args:
        directory: str. The folder of the page; image paths are relative to
            it and must name files inside it.
        title: str. The page's heading.

    Example:

    ```python
    report = keras_seq.visualization.Report("report", "keras_seq demo")
    report.section("RowClassifier")
    report.table({"test accuracy": 0.975})
    report.image("mnist_rows_history.png", "training curves")
    report.elapsed(12.5)
    report.write()  # report/index.html
    ```
    """

    def __init__(self, directory, title):
        self.directory = directory
        self.title = title
        self._parts = []

    def section(self, heading):
        """Starts a section: what follows belongs to it."""
        self._parts.append(f"<h2>{html.escape(heading)}</h2>")

    def elapsed(self, seconds):
        """Notes how long the section's work took."""
        self._parts.append(f'<p class="elapsed">done in {seconds:.1f} s</p>')

    def paragraph(self, text):
        self._parts.append(f"<p>{html.escape(text)}</p>")

    def table(self, rows, header=("metric", "value")):
        """A two-column table from a dict, or a table from a list of rows."""
        if isinstance(rows, dict):
            rows = list(rows.items())
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        lines = [f"<table><tr>{cells}</tr>"]
        for row in rows:
            cells = "".join(
                f"<td>{html.escape(_format(value))}</td>" for value in row
            )
            lines.append(f"<tr>{cells}</tr>")
        lines.append("</table>")
        self._parts.append("".join(lines))

    def text(self, text, caption=None):
        """Preformatted text: generated samples, translations."""
        if caption:
            self._parts.append(f"<h3>{html.escape(caption)}</h3>")
        self._parts.append(f"<pre>{html.escape(text)}</pre>")

    def image(self, path, caption=""):
        """An image file (PNG, GIF) inside the report's folder."""
        full = os.path.join(self.directory, path)
        if not os.path.isfile(full):
            raise ValueError(
                f"Received an image path {path!r} for the report, but "
                f"{full!r} is not a file: write the image first."
            )
        source = html.escape(path.replace(os.sep, "/"), quote=True)
        self._parts.append(
            f'<figure><img src="{source}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def render(self):
        body = "\n".join(self._parts)
        title = html.escape(self.title)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            f"<title>{title}</title>"
            '<link rel="icon" href="data:,">'
            f"<style>{_STYLE}</style></head>\n"
            f"<body><h1>{title}</h1>\n{body}\n</body></html>\n"
        )

    def write(self, name="index.html"):
        """Writes the page to `directory/name`, atomically; returns the
        path."""
        path = os.path.join(self.directory, name)
        atomic_write_text(path, self.render())
        return path
