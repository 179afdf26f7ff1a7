"""POST /webhooks/courier: the courier platform's signed delivery callbacks
(services.deliveries.courier_webhook).

Answers JSON: 200 `{"ok": true, "applied": [...]}`; 401 BAD_SIGNATURE / STALE_TIMESTAMP; 409
REPLAYED or a state the order cannot take (the domain error's code); 400 BAD_REQUEST; 404
NOT_FOUND (unknown dispatch id); 503 when no secret is configured (production without one).
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gql.settings import Settings
from models.base import utcnow
from models.errors import DomainError, ErrorCode
from services.commands import Deps
from services.deliveries.courier_webhook import SignedCall, WebhookRefused, receive

MAX_BODY = 16 * 1024

_STATUS = {ErrorCode.NOT_FOUND: 404, ErrorCode.BAD_USER_INPUT: 400}


async def courier_webhook_endpoint(request: Request, settings: Settings, deps: Deps) -> Response:
    secret = settings.courier_secret
    if secret is None:
        return JSONResponse({"ok": False, "code": "NOT_CONFIGURED"}, status_code=503)
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"ok": False, "code": "BAD_REQUEST"}, status_code=413)
    call = SignedCall(
        request.headers.get("x-courier-timestamp"),
        request.headers.get("x-courier-nonce"),
        request.headers.get("x-courier-signature"),
        body,
    )
    tolerance = timedelta(seconds=settings.courier_webhook_tolerance_seconds)
    try:
        result = await receive(deps, secret, tolerance, call, utcnow())
    except WebhookRefused as refused:
        return JSONResponse(
            {"ok": False, "code": refused.code, "message": str(refused)}, status_code=refused.status
        )
    except DomainError as error:
        status = _STATUS.get(error.code, 409)
        return JSONResponse(
            {"ok": False, "code": error.code.value, "message": error.message}, status_code=status
        )
    return JSONResponse({"ok": True, "applied": result.get("applied", [])})
