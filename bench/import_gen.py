#!/usr/bin/env python3
"""bench/import_gen.py ROWS [LEADS] > export.csv — an Airtable SMS_Audit
export of ROWS rows for `make bench-import` and tests/http/test_import.sh:
a UTF-8 BOM, a header of Airtable's field names, record ids
(recXXXXXXXXXXXXXX), LEADS leads (default ROWS / 10) linked by record id,
the SOP's event types, Airtable's three date styles in turn, quoted text
with commas, quotes and newlines, multi-select tags. Deterministic: the
same arguments give the same file."""
import random
import sys

ROWS = int(sys.argv[1])
LEADS = int(sys.argv[2]) if len(sys.argv) > 2 else max(1, ROWS // 10)
TYPES = ["Sent", "Delivered", "MESSAGE_FAILED", "INBOUND_REPLY",
         "BOOKING_CONFIRMED", "Sent", "Delivered"]
TEXTS = ["Hi there, your spot is saved", 'Reply "YES" to confirm',
         "Line one\nline two", "Thanks!", ""]
TAGS = ["", "VIP", "VIP,Webinar", '"Hot, warm",Cold']
rnd = random.Random(14)
out = sys.stdout
out.write("\ufeffRecord ID,Lead,Event,Sent At,Text,Phone,Workflow,Tags\r\n")


def quote(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def recid(prefix, n):
    return "rec%s%011d" % (prefix, n)


BASE = 1704067200  # 2024-01-01 00:00 UTC
for i in range(ROWS):
    t = BASE + i * 30
    y, mo, d, h, mi = __import__("time").gmtime(t)[:5]
    style = i % 3
    if style == 0:
        when = "%04d-%02d-%02d %02d:%02d" % (y, mo, d, h, mi)
    elif style == 1:
        when = "%d/%d/%04d %d:%02d%s" % (mo, d, y, (h % 12) or 12, mi,
                                          "pm" if h >= 12 else "am")
    else:
        when = "%04d-%02d-%02dT%02d:%02d:00.000Z" % (y, mo, d, h, mi)
    lead = rnd.randrange(LEADS)
    out.write(",".join([
        recid("SMS", i), recid("LED", lead), TYPES[i % len(TYPES)], when,
        quote(TEXTS[i % len(TEXTS)]), "+1555%07d" % lead,
        "UYSP-Kajabi-SMS-Scheduler", quote(TAGS[i % len(TAGS)])]) + "\r\n")
