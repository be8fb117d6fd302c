"""A tiny SMTP server for tests: real sockets, so a worker process can talk to it.

It accepts what ``smtplib`` sends (no TLS, no AUTH) and keeps each message the client saw
accepted. With ``stall_first`` it reads the first message and then never answers, so the test
can kill the worker at the most awkward moment: mid-send, the message on the wire, unconfirmed.
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        stub: SMTPStub = self.server.stub
        number = stub._connected()
        self.wfile.write(b"220 stub ESMTP\r\n")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250-stub\r\n250 8BITMIME\r\n")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.wfile.write(b"250 OK\r\n")
            elif command == "DATA":
                self.wfile.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                data = self._read_data()
                if data is None:
                    return
                if stub.stall_first and number == 1:
                    stub.stalled.set()
                    while self.rfile.readline():  # never answer; wait for the client to die
                        pass
                    return
                stub._received(data)
                self.wfile.write(b"250 OK queued\r\n")
            elif command == "QUIT":
                self.wfile.write(b"221 Bye\r\n")
                return
            else:
                self.wfile.write(b"502 Not implemented\r\n")

    def _read_data(self) -> bytes | None:
        lines = []
        while line := self.rfile.readline():
            if line in (b".\r\n", b".\n"):
                return b"".join(lines)
            lines.append(line[1:] if line.startswith(b"..") else line)
        return None  # the client went away mid-message


class SMTPStub:
    def __init__(self, *, stall_first: bool = False) -> None:
        self.stall_first = stall_first
        self.messages: list[email.message.EmailMessage] = []
        self.connections = 0
        self.stalled = threading.Event()
        self._lock = threading.Lock()
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.stub = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SMTPStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def env(self) -> dict[str, str]:
        """What a worker needs to send through this server (rma_portal/settings.py MAILERS)."""
        return {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port), "EMAIL_USE_TLS": "0"}

    def _connected(self) -> int:
        with self._lock:
            self.connections += 1
            return self.connections

    def _received(self, data: bytes) -> None:
        with self._lock:
            self.messages.append(email.message_from_bytes(data, policy=email.policy.default))
