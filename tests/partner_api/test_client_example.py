"""docs/api_client_example.py, run as a partner would run it, against the live test server:
it files a claim with evidence, gives the notice, waits while CPRO authorizes the return, and
saves the Return Authorization PDF."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from claims import document_service, services
from claims.actors import Actor
from claims.models import Attachment, Claim, Document
from tests.conftest import wait_for
from tests.factories import PNG

from .conftest import item_payload

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db(transaction=True)
def test_the_example_client_files_a_claim_and_saves_the_return_authorization(
    live_server, org, unit, api_key, staff, tmp_path
):
    claim_file = tmp_path / "claim.json"
    claim_file.write_text(json.dumps({"items": [item_payload(unit)], "buyer_reference": "T-9"}))
    evidence = tmp_path / "label.png"
    evidence.write_bytes(PNG)
    out = tmp_path / "out"
    client = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "docs" / "api_client_example.py"),
            live_server.url,
            api_key[1],
            str(claim_file),
            "--evidence",
            str(evidence),
            "--out",
            str(out),
            "--timeout",
            "60",
            "--interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        claim = wait_for(lambda: Claim.objects.filter(rma_number__isnull=False).first(), 30)
        # CPRO's side: staff authorize the return (R1); the RA is rendered here, not by Celery.
        services.authorize_return(actor=Actor.staff(staff), claim=claim)
        document_service.render(Document.objects.get(claim=claim))
        stdout, stderr = client.communicate(timeout=60)
    finally:
        client.kill()

    assert client.returncode == 0, stderr
    assert claim.rma_number in stdout
    pdf = out / f"{claim.rma_number}-return-authorization.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert str(pdf) in stdout
    attachment = Attachment.objects.get(claim=claim)
    assert (attachment.item, attachment.content_type) == (claim.items.get(), "image/png")
