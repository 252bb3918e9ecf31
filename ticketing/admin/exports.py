"""Back office: attendee and check-in exports of a screening or an event, as CSV or XLSX."""
import tempfile

from flask import Response, abort, request, send_file, stream_with_context

from ..errors import NotFoundError
from ..services import exports
from . import bp

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.get("/screenings/<int(max=2147483647):screening_id>/export.<fmt>")
def screening_export(screening_id, fmt):
    """Download the attendees (or, with ?what=checkins, the door log) of one screening."""
    return _export(fmt, lambda: exports.screening_scope(screening_id))


@bp.get("/events/<int(max=2147483647):event_id>/export.<fmt>")
def event_export(event_id, fmt):
    """Download the attendees (or the door log) of every screening of an event."""
    return _export(fmt, lambda: exports.event_scope(event_id))


def _export(fmt, find_scope):
    kind = request.args.get("what", "attendees")
    if fmt not in exports.FORMATS or kind not in exports.KINDS:
        abort(404)
    try:
        scope = find_scope()
    except NotFoundError:
        abort(404)
    disposition = exports.content_disposition(kind, scope, fmt)
    if fmt == "csv":
        # Streamed: the rows are read and sent a chunk at a time while the request stays open.
        response = Response(stream_with_context(exports.csv_chunks(kind, scope)), mimetype=MIMETYPES["csv"])
    else:
        # A ZIP file cannot be streamed before it is complete: write it to an anonymous temporary
        # file (gone when closed), then send that file from disk.
        spool = tempfile.TemporaryFile()
        try:
            exports.write_xlsx(kind, scope, spool)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        response = send_file(spool, mimetype=MIMETYPES["xlsx"], as_attachment=True, download_name="export.xlsx")
    response.headers["Content-Disposition"] = disposition
    response.headers["Cache-Control"] = "no-store"  # personal data: no copies in caches
    return response
