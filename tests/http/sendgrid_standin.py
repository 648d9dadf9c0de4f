#!/usr/bin/env python3
"""A stand-in for SendGrid's v3 mail send, for the nurture sender's tests
(tests/http/test_nurture_sender.sh) and benchmark (bench/nurture_sender.sh).

    sendgrid_standin.py DIR [--key KEY] [--quiet]

Listens on a free port of 127.0.0.1 (HTTP/1.1, keep-alive, one thread per
connection) and writes it to DIR/port. It speaks SendGrid's contract:

  POST /v3/mail/send   Authorization: Bearer KEY (with --key, another key
                       gets 401 as SendGrid answers a revoked one); the
                       body is checked as SendGrid does (personalizations
                       [].to[].email, from.email, subject, content[].type
                       and .value, custom_args values strings), a bad one
                       gets 400 with SendGrid's {"errors": [{"message",
                       "field"}]}; otherwise 202 with an X-Message-Id.

What it answers instead is chosen
  - per recipient: an address whose local part starts with sg400, sg401,
    sg403, sg429, sg500 or sgslow gets that answer (429: X-RateLimit-Reset
    one second ahead, then 202 on the next try; slow: 202 after 3 s);
  - or for the next requests: POST /_control {"mode": "400" | "401" |
    "403" | "429" | "500" | "slow" | "ok", "count": N (default: until the
    next /_control), "reset_in": seconds (429), "delay": seconds (slow)}.

Every request is recorded: GET /_received answers them as a JSON array of
{"at", "authorization", "body" (parsed, or the raw text), "status",
"message_id"}; POST /_reset forgets them and the mode. With --quiet only
the count is kept (for the benchmark): GET /_count.
"""
import argparse
import json
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("dir")
parser.add_argument("--key")
parser.add_argument("--quiet", action="store_true")
ARGS = parser.parse_args()

LOCK = threading.Lock()
RECEIVED = []
COUNT = [0]
MODE = {"mode": "ok", "count": None, "reset_in": 1, "delay": 3}
# Recipients that got their one 429 already (sg429…: once, then 202).
LIMITED = set()

ERRORS = {
    400: "The from address does not match a verified Sender Identity.",
    401: "The provided authorization grant is invalid, expired, or revoked",
    403: "access forbidden",
    429: "too many requests",
    500: "internal server error",
}


def contract_errors(body):
    """SendGrid's own checks of a mail send body: a list of (field, message)."""
    errs = []
    if not isinstance(body, dict):
        return [(None, "Bad Request")]
    ps = body.get("personalizations")
    if not isinstance(ps, list) or not ps:
        errs.append(("personalizations", "The personalizations field is required and must have at least one personalization."))
    else:
        for p in ps:
            to = p.get("to") if isinstance(p, dict) else None
            if not isinstance(to, list) or not to or not all(
                    isinstance(t, dict) and isinstance(t.get("email"), str) and "@" in t["email"] for t in to):
                errs.append(("personalizations.0.to", "The to array is required for all personalization objects, and must have at least one email object with a valid email address."))
    frm = body.get("from")
    if not isinstance(frm, dict) or not isinstance(frm.get("email"), str) or "@" not in frm["email"]:
        errs.append(("from.email", "The from object must be provided for every email send. It is an object that requires an email parameter, but may also contain a name parameter."))
    if not isinstance(body.get("subject"), str) or not body["subject"]:
        errs.append(("subject", "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined."))
    content = body.get("content")
    if not isinstance(content, list) or not content or not all(
            isinstance(c, dict) and isinstance(c.get("type"), str) and isinstance(c.get("value"), str) and c["value"]
            for c in content):
        errs.append(("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block."))
    args = body.get("custom_args", {})
    if not isinstance(args, dict) or not all(isinstance(v, str) for v in args.values()):
        errs.append(("custom_args", "Invalid type. Expected: string, given: integer."))
    return errs


def recipient(body):
    try:
        return body["personalizations"][0]["to"][0]["email"]
    except (KeyError, IndexError, TypeError):
        return ""


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, doc=None, headers=()):
        data = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))

    def do_GET(self):
        if self.path == "/_received":
            with LOCK:
                self.answer(200, list(RECEIVED))
        elif self.path == "/_count":
            with LOCK:
                self.answer(200, {"count": COUNT[0]})
        else:
            self.answer(404, {"errors": [{"message": "not found"}]})

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/_control":
            doc = json.loads(raw or b"{}")
            with LOCK:
                MODE.update({"mode": str(doc.get("mode", "ok")), "count": doc.get("count"),
                             "reset_in": doc.get("reset_in", 1), "delay": doc.get("delay", 3)})
            return self.answer(200, MODE)
        if self.path == "/_reset":
            with LOCK:
                RECEIVED.clear()
                LIMITED.clear()
                COUNT[0] = 0
                MODE.update({"mode": "ok", "count": None, "reset_in": 1, "delay": 3})
            return self.answer(200, {})
        if self.path != "/v3/mail/send":
            return self.answer(404, {"errors": [{"message": "not found"}]})
        self.mail_send(raw)

    def mail_send(self, raw):
        auth = self.headers.get("Authorization", "")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        to = recipient(body)
        local = to.split("@")[0]
        with LOCK:
            mode = MODE["mode"]
            if MODE["count"] is not None:
                if MODE["count"] <= 0:
                    mode = "ok"
                else:
                    MODE["count"] -= 1
            reset_in, delay = MODE["reset_in"], MODE["delay"]
            for kind in ("400", "401", "403", "429", "500", "slow"):
                if local.startswith("sg" + kind):
                    if kind == "429" and to in LIMITED:
                        continue
                    if kind == "429":
                        LIMITED.add(to)
                    mode = kind
        if ARGS.key is not None and auth != "Bearer " + ARGS.key:
            mode = "401"
        errs = [] if mode in ("401", "403") else contract_errors(body)
        status, doc, headers, message_id = 202, None, [], ""
        if errs:
            status = 400
            doc = {"errors": [{"message": m, "field": f, "help": None} for f, m in errs]}
        elif mode in ("400", "401", "403", "429", "500"):
            status = int(mode)
            doc = {"errors": [{"message": ERRORS[status], "field": "from.email" if status == 400 else None,
                               "help": None}]}
            if status == 429:
                headers = [("X-RateLimit-Limit", "600"), ("X-RateLimit-Remaining", "0"),
                           ("X-RateLimit-Reset", str(int(time.time() + float(reset_in)) + 1))]
        else:
            message_id = uuid.uuid4().hex[:22]
            headers = [("X-Message-Id", message_id)]
        # Recorded on arrival: a client that gives up on a slow answer
        # still had its request received.
        with LOCK:
            COUNT[0] += 1
            if not ARGS.quiet:
                RECEIVED.append({"at": time.time(), "authorization": auth, "body": body,
                                 "status": status, "message_id": message_id})
        if mode == "slow":
            time.sleep(float(delay))
        self.answer(status, doc, headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (the sender's timeout on a slow answer)
        # leaves a broken pipe: expected, not worth a traceback.
        pass


server = Server(("127.0.0.1", 0), Handler)
with open(os.path.join(ARGS.dir, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(ARGS.dir, "port.tmp"), os.path.join(ARGS.dir, "port"))
server.serve_forever()
