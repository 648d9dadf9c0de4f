// proxy.js PORT UPSTREAM LOG — minicrm as n8n sees it in make test-n8n:
// every request is passed to UPSTREAM (the throw-away instance) and noted
// in LOG ("POST /api/internal/log-activity LEAD STATUS"), except that, for
// log-activity, an event whose lead_id contains
//   "answer-503"  is answered 503 without reaching minicrm (a 5xx);
//   "hang"        is never answered (n8n's request times out);
//   "drop-first"  is passed on and committed the first time, but its
//                 connection is then dropped without an answer (a reply
//                 lost on the way back: n8n's Retry On Fail sends it again).
// and an event whose lead_id contains "refused-down" is answered 400 by
// log-activity and dropped (no answer, connection closed) by retry-queue.
// "The portal unreachable" is this proxy not running (ECONNREFUSED).
'use strict';
const http = require('http');
const fs = require('fs');
const [port, upstream, log] = process.argv.slice(2);
const dropped = new Set();
const note = (req, lead, what) =>
	fs.appendFileSync(log, `${req.method} ${req.url} ${lead} ${what}\n`);

http.createServer((req, res) => {
	const chunks = [];
	req.on('data', (c) => chunks.push(c));
	req.on('end', () => {
		const body = Buffer.concat(chunks);
		const m = /"lead_id":"([^"]*)"/.exec(body.toString());
		const lead = m ? m[1] : '-';
		const logActivity = req.url.endsWith('/log-activity');
		if (lead.includes('refused-down')) {
			note(req, lead, logActivity ? 400 : 'dropped');
			if (!logActivity) { req.socket.destroy(); return; }
			res.writeHead(400, { 'content-type': 'application/json' });
			res.end('{"error":"invalid event (test)"}');
			return;
		}
		if (logActivity && lead.includes('hang')) {
			note(req, lead, 'hang');
			return;
		}
		if (logActivity && lead.includes('answer-503')) {
			note(req, lead, 503);
			res.writeHead(503, { 'content-type': 'application/json' });
			res.end('{"error":"database unavailable; retry later"}');
			return;
		}
		const headers = { ...req.headers, 'content-length': body.length };
		delete headers.host;
		const up = http.request(upstream + req.url, { method: req.method, headers }, (answer) => {
			const back = [];
			answer.on('data', (c) => back.push(c));
			answer.on('end', () => {
				if (logActivity && lead.includes('drop-first') && !dropped.has(lead)) {
					dropped.add(lead);
					note(req, lead, `${answer.statusCode} dropped`);
					req.socket.destroy();
					return;
				}
				note(req, lead, answer.statusCode);
				res.writeHead(answer.statusCode, answer.headers);
				res.end(Buffer.concat(back));
			});
		});
		up.on('error', (e) => { note(req, lead, `upstream ${e.code}`); req.socket.destroy(); });
		up.end(body);
	});
}).listen(Number(port), '127.0.0.1');
