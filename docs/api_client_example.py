"""A partner's client for the CPRO RMA Portal API, in plain Python (standard library only).

It files a claim with evidence, gives the notice, waits for CPRO's Return Authorization and
saves its PDF:

    python docs/api_client_example.py https://rma.cpro.example "$CPRO_API_KEY" claim.json \\
        --evidence label.jpg --out ./rma-documents

``claim.json`` holds the claim as ``POST /api/v1/claims/`` takes it, e.g.::

    {"items": [{"serial_number": "SN00012345", "model_code": "PTZ-200",
                "shipment_date": "2026-05-04", "po_number": "PO-7781",
                "pi_number": "PI-2026-0153", "defect_kind": "hidden",
                "defect_date": "2026-11-20", "defect_details": "No image after power-on."}],
     "buyer_reference": "Ticket 4471"}

Every POST carries an ``Idempotency-Key``; a request that fails on the way (network error,
5xx, 429) is sent again with the same key, so it never acts twice. See docs/api.md.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

RETRIES = 4


class ApiError(Exception):
    """An answer the API gave with an error body: ``{"errors": {field: [messages]}}``."""

    def __init__(self, status: int, errors: dict):
        self.status = status
        self.errors = errors
        lines = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items())
        super().__init__(f"HTTP {status}: {lines}")


class Client:
    def __init__(self, base_url: str, api_key: str, *, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def request(self, method, path, *, body=None, content_type=None, raw=False):
        """One call, retried on network errors, 5xx and 429 (with the same Idempotency-Key)."""
        url = path if path.startswith("http") else f"{self.base_url}/api/v1/{path.lstrip('/')}"
        headers = {"Authorization": f"Api-Key {self.api_key}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        for attempt in range(RETRIES + 1):
            request = urllib.request.Request(url, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    data = response.read()
                    return data if raw else json.loads(data or b"null")
            except urllib.error.HTTPError as exc:
                data = exc.read()
                retryable = exc.code == 429 or exc.code >= 500
                if not retryable or attempt == RETRIES:
                    try:
                        errors = json.loads(data)["errors"]
                    except (ValueError, KeyError, TypeError):
                        errors = {"detail": [data.decode(errors="replace")[:200]]}
                    raise ApiError(exc.code, errors) from None
                wait = float(exc.headers.get("Retry-After") or 2**attempt)
            except urllib.error.URLError:
                if attempt == RETRIES:
                    raise
                wait = 2**attempt
            time.sleep(wait)
        raise AssertionError("unreachable")

    def post_json(self, path, payload):
        return self.request("POST", path, body=json.dumps(payload).encode(), content_type=JSON)

    def upload(self, claim, file_path: Path, *, item: int | None = None):
        """Attach evidence (multipart/form-data), to the claim or to one of its items."""
        boundary = uuid.uuid4().hex
        kind = mimetypes.guess_type(file_path.name)[0] or "application/octet-stream"
        parts = []
        if item is not None:
            field = f'Content-Disposition: form-data; name="item"\r\n\r\n{item}\r\n'
            parts.append(f"--{boundary}\r\n{field}".encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{file_path.name}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
            + file_path.read_bytes()
            + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            f"claims/{claim}/attachments/",
            body=b"".join(parts),
            content_type=f"multipart/form-data; boundary={boundary}",
        )


JSON = "application/json"


def file_claim(client: Client, claim: dict, evidence: Path | None = None) -> dict:
    """Create the draft, attach the evidence to its first item, give the notice (N1)."""
    draft = client.post_json("claims/", claim)
    if evidence is not None:
        client.upload(draft["id"], evidence, item=draft["items"][0]["id"])
    return client.post_json(f"claims/{draft['id']}/submit/", {})


def wait_for_return_authorization(
    client: Client, rma_number: str, *, timeout: float, interval: float
) -> dict | None:
    """Poll the claim until its Return Authorization is rendered; None if the claim ends
    without one (rejected, cancelled, refused) or the time is up. (Webhooks spare the polling:
    subscribe to document.ready.)"""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        claim = client.request("GET", f"claims/{rma_number}/")
        for document in client.request("GET", f"claims/{rma_number}/documents/"):
            ready = document["status"] == "ready" and document["valid"]
            if ready and document["kind"] == "return_authorization":
                return document
        if claim["status"] in {"rejected", "cancelled", "refused", "closed"}:
            return None
        time.sleep(interval)
    return None


def run(
    base_url: str,
    api_key: str,
    claim: dict,
    *,
    evidence: Path | None = None,
    out_dir: Path = Path("."),
    timeout: float = 3600,
    interval: float = 30,
) -> tuple[str, Path | None]:
    """File the claim and save the Return Authorization; (RMA number, PDF path or None)."""
    client = Client(base_url, api_key)
    submitted = file_claim(client, claim, evidence)
    rma_number = submitted["rma_number"]
    print(f"Filed {rma_number}; hold until {submitted['hold_until']}", flush=True)
    for item in submitted["items"]:
        verdict = item["verdict"]
        print(f"  {item['serial_number']}: {verdict['status']} (preliminary, N5)", flush=True)
    document = wait_for_return_authorization(client, rma_number, timeout=timeout, interval=interval)
    if document is None:
        print(f"No Return Authorization for {rma_number} yet.", flush=True)
        return rma_number, None
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{rma_number}-return-authorization.pdf"
    path.write_bytes(client.request("GET", document["download_url"], raw=True))
    print(f"Saved {path} (verification code {document['verification_code']})", flush=True)
    return rma_number, path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. https://rma.cpro.example")
    parser.add_argument("api_key")
    parser.add_argument("claim", type=Path, help="JSON file with the claim's items")
    parser.add_argument("--evidence", type=Path, help="a photo or PDF for the first item")
    parser.add_argument("--out", type=Path, default=Path("."), help="where to save the PDF")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for CPRO")
    parser.add_argument("--interval", type=float, default=30, help="seconds between polls")
    args = parser.parse_args(argv)
    try:
        _rma, path = run(
            args.base_url,
            args.api_key,
            json.loads(args.claim.read_text()),
            evidence=args.evidence,
            out_dir=args.out,
            timeout=args.timeout,
            interval=args.interval,
        )
    except ApiError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0 if path is not None else 2


if __name__ == "__main__":
    sys.exit(main())
