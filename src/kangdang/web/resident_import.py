"""Pages: bulk import of residents and households from Excel/CSV (居民批量导入).

Upload → check (every problem by row and column, nothing imported; or a preview with the counts) → confirm.
Between the check and the confirmation the file travels inside the preview page: compressed, base64-encoded
in hidden fields and sealed with an HMAC (secret key; bound to the user, the file name and the time), so the
confirmation imports exactly the file that was checked, by the same user, within a few hours — without any
server-side storage. The confirmation checks every row again before writing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import zlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from kangdang.access.actor import Actor
from kangdang.access.crypto import mask_identity
from kangdang.access.roles import Action
from kangdang.core.errors import FieldError, InvalidInput
from kangdang.core.idnumber import IdNumberError, parse_id_number
from kangdang.exchange.resident_table import (
    COLUMNS,
    read_resident_table,
    resident_template_csv,
    resident_template_xlsx,
)
from kangdang.residents.bulk import ImportResult, ImportRow, check_residents, error_text, import_residents
from kangdang.residents.codes import ID_CARD
from kangdang.web.deps import CsrfChecked, CurrentActor, DbSession, render

router = APIRouter()

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
PAYLOAD_PART = 512 * 1024  # form fields are limited to 1 MB each: the file travels in parts
SEAL_SECONDS = 4 * 3600
PREVIEW_ROWS = 20
SHOWN_ERRORS = 2000
TEMPLATE = "resident_import/page.html"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPIRED = "导入数据已过期或不完整，请重新选择文件并校验"


def _page(request: Request, state: str, *, status_code: int = 200, **context: Any) -> Response:
    htmx = request.headers.get("hx-request") == "true"
    return render(
        request,
        TEMPLATE,
        {"page_title": "批量导入居民", "state": state, "columns": COLUMNS, "max_mb": MAX_UPLOAD_BYTES // 2**20}
        | context,
        status_code=200 if htmx else status_code,  # htmx swaps only successful answers
    )


@router.get("/residents/import")
def import_page(request: Request, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_IMPORT)
    return _page(request, "start")


@router.get("/residents/import/template.xlsx")
def template_xlsx(actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_IMPORT)
    return _download(resident_template_xlsx(), XLSX_TYPE, "residents-template.xlsx")


@router.get("/residents/import/template.csv")
def template_csv(actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_IMPORT)
    return _download(resident_template_csv(), "text/csv; charset=utf-8", "residents-template.csv")


def _download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.post("/residents/import/check", dependencies=[CsrfChecked])
async def import_check(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_IMPORT)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, "start", message="请选择要导入的 Excel（.xlsx）或 CSV 文件", status_code=422)
    content = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        message = f"文件超过 {MAX_UPLOAD_BYTES // 2**20} MB：请分批导入，或由管理员用命令行 kangdang import residents"
        return _page(request, "start", message=message, status_code=413)
    filename = _clean_name(upload.filename)
    try:
        rows = read_resident_table(filename, content)
        result = check_residents(session, actor, rows)
    except InvalidInput as error:
        session.rollback()
        return _errors(request, filename, error.message, error.errors)
    if result.errors:
        return _errors(request, filename, _summary(result.errors), result.errors)
    return _page(
        request,
        "preview",
        filename=filename,
        result=result,
        rows=len(rows),
        preview=[_preview_line(r, result) for r in rows[:PREVIEW_ROWS]],
        seal=_seal(request, actor, filename, content),
    )


@router.post("/residents/import/commit", dependencies=[CsrfChecked])
async def import_commit(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    actor.require(Action.RESIDENT_IMPORT)
    form = await request.form()
    unsealed = _unseal(request, actor, form)
    if unsealed is None:
        return _page(request, "start", message=EXPIRED, status_code=400)
    filename, content = unsealed
    try:
        rows = read_resident_table(filename, content)
        result = import_residents(session, actor, rows, filename=filename)
    except InvalidInput as error:
        session.rollback()
        return _errors(request, filename, error.message, error.errors)
    return _page(request, "done", filename=filename, result=result, rows=len(rows))


def _errors(request: Request, filename: str, message: str, errors: list[FieldError]) -> Response:
    lines = [(e.row, e.field, error_text(e)) for e in errors[:SHOWN_ERRORS]]
    return _page(
        request,
        "errors",
        filename=filename,
        message=message,
        error_lines=lines,
        error_count=len(errors),
        status_code=422,
    )


def _summary(errors: list[FieldError]) -> str:
    rows = len({e.row for e in errors})
    return f"文件有 {len(errors)} 处错误（涉及 {rows} 行），未导入任何数据。请修正后重新上传。"


def _preview_line(row: ImportRow, result: ImportResult) -> dict[str, Any]:
    sex, birth_date = row.sex, row.birth_date
    if row.document_type == ID_CARD and row.document_number and not (sex and birth_date):
        try:
            parsed = parse_id_number(row.document_number)
            sex, birth_date = sex or parsed.sex, birth_date or parsed.birth_date
        except IdNumberError:  # not expected: the rows passed their checks
            pass
    return {
        "row": row.row,
        "name": row.name,
        "document": mask_identity(row.document_number) if row.document_number else "",
        "sex": sex,
        "birth_date": birth_date,
        "village": row.current_region_code,
        "household": row.household or "",
        "relationship": row.relationship,
        "skipped": row.row in result.skipped_rows,
    }


def _clean_name(name: str) -> str:
    base = name.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base[-100:] or "导入文件"


# --- carrying the checked file to the confirmation ------------------------------------------------------


def _key(request: Request) -> bytes:
    secret: str = request.app.state.settings.secret_key
    return hmac.new(secret.encode(), b"kangdang resident-import", hashlib.sha256).digest()


def _signature(request: Request, actor: Actor, issued: str, filename: str, payload: str) -> str:
    message = "|".join((str(actor.user_id), issued, filename, hashlib.sha256(payload.encode()).hexdigest()))
    return hmac.new(_key(request), message.encode(), hashlib.sha256).hexdigest()


def _seal(request: Request, actor: Actor, filename: str, content: bytes) -> dict[str, Any]:
    payload = base64.b64encode(zlib.compress(content, 6)).decode()
    issued = str(int(time.time()))
    return {
        "filename": filename,
        "issued": issued,
        "parts": [payload[i : i + PAYLOAD_PART] for i in range(0, len(payload), PAYLOAD_PART)],
        "signature": _signature(request, actor, issued, filename, payload),
    }


def _unseal(request: Request, actor: Actor, form: FormData) -> tuple[str, bytes] | None:
    """The checked file, if the seal is intact, the user's own and recent; else None."""
    filename, issued, signature = (str(form.get(k) or "") for k in ("filename", "issued", "signature"))
    payload = "".join(p for p in form.getlist("payload") if isinstance(p, str))
    if not (filename and issued.isdigit() and payload and signature):
        return None
    expected = _signature(request, actor, issued, filename, payload)
    if not hmac.compare_digest(expected, signature) or not 0 <= time.time() - int(issued) <= SEAL_SECONDS:
        return None
    try:
        return filename, zlib.decompress(base64.b64decode(payload, validate=True))
    except (binascii.Error, zlib.error):
        return None
