"""`serve --ssl-certfile/--ssl-keyfile`: the page and the socket over TLS (phones need it)."""

import json
import ssl
import subprocess

import httpx
import pytest
import websockets

from tests.conftest import start_server, stop_server
from tests.streaming import start_frame

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    server = start_server(folder / "data", "--ssl-certfile", str(cert), "--ssl-keyfile",
                          str(key), "--partial-model", "")
    yield server, cert
    stop_server(server)


async def test_page_and_socket_over_tls(tls_server):
    server, cert = tls_server
    assert any("https://" in line for line in server.output)
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    async with httpx.AsyncClient(verify=context) as http:
        page = await http.get(f"https://{server.host}/")
        assert page.status_code == 200 and "casenote" in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
    url = f"wss://{server.host}/v1/meetings/stream?token={server.token}"
    async with websockets.connect(url, ssl=context) as ws:
        await ws.send(start_frame())
        assert json.loads(await ws.recv())["type"] == "started"
        await ws.send('{"type": "stop"}')
        kinds = [json.loads(m)["type"] async for m in ws]
    assert "stopped" in kinds
