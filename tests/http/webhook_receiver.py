#!/usr/bin/env python3
"""A stand-in for a Slack incoming webhook, for tests/http/test_worker.sh.

    webhook_receiver.py DIR

Listens on a free port of 127.0.0.1 and writes it to DIR/port. Each POST
body is appended, one line each, to DIR/received when answered 200 "ok",
or to DIR/refused when answered 500 (while the file DIR/fail exists).
"""
import http.server
import os
import sys

DIR = sys.argv[1]


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        failing = os.path.exists(os.path.join(DIR, "fail"))
        name = "refused" if failing else "received"
        with open(os.path.join(DIR, name), "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        reply = b"error" if failing else b"ok"
        self.send_response(500 if failing else 200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
