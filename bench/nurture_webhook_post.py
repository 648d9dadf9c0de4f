#!/usr/bin/env python3
"""bench/nurture_webhook_post.py URL WANT CONNS SKEW FILE... — post each FILE
to URL as SendGrid does (Content-Type application/json, FILE.sig and
FILE.ts as the signature and timestamp headers; SKEW seconds added to the
timestamp: 0 to verify, -1 for a mismatch), on CONNS keep-alive
connections at once, each FILE's answer into FILE.answer. Prints the
wall time in ms; a status other than WANT is reported on stderr (exit 1).
One process and persistent connections, so the time is the server's and
not curl's start-up."""
import http.client, sys, threading, time, urllib.parse

url, want, conns, skew = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
files = sys.argv[5:]
u = urllib.parse.urlsplit(url)
posts = []
for f in files:
    with open(f, "rb") as fh:
        body = fh.read()
    sig = open(f + ".sig").read().strip()
    ts = str(int(open(f + ".ts").read().strip()) + skew)
    posts.append((f, body, sig, ts))
bad = []

def run(share):
    c = http.client.HTTPConnection(u.hostname, u.port)
    for f, body, sig, ts in share:
        c.request("POST", u.path, body=body, headers={
            "Content-Type": "application/json",
            "X-Twilio-Email-Event-Webhook-Signature": sig,
            "X-Twilio-Email-Event-Webhook-Timestamp": ts})
        r = c.getresponse()
        answer = r.read()
        with open(f + ".answer", "wb") as fh:
            fh.write(answer)
        if r.status != want:
            bad.append("%s: %d %s" % (f, r.status, answer[:200]))
    c.close()

threads = [threading.Thread(target=run, args=(posts[i::conns],)) for i in range(conns)]
t0 = time.monotonic()
for t in threads:
    t.start()
for t in threads:
    t.join()
print(int((time.monotonic() - t0) * 1000))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
