"""CSV downloads of the dashboards' tables: streamed a line at a time, every cell that a
spreadsheet could run as a formula neutralised, with a byte order mark so that Excel
reads UTF-8."""

import csv
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

from common.csvsafe import neutralise


class _Line:
    """A file-like object whose write returns the line, for `csv.writer`."""

    def write(self, text: str) -> str:
        return text


def _lines(header: Iterable, rows: Iterable[Iterable]):
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_download(
    filename: str, header: Iterable, rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    """A response that downloads `rows` under `header` as the CSV file `filename`."""
    response = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
