// portal.test.mjs — the admin portal in real Chromium (Debian's
// /usr/bin/chromium driven by playwright-core), against the instance that
// scripts/test.sh started (MINICRM_PORT, MINICRM_CONF). Run through
// tests/browser/run.sh, which installs playwright-core first.
//
// Each check asserts what a user sees and prints one "ok"/"FAIL" line; a
// test that cannot go on (a page missing, an element absent) fails there and
// the next test starts from its own URL. The exit code is the verdict.
// Screenshots of each main page go to $MINICRM_BROWSER_OUT (default
// tests/out/browser), kept after the throw-away instance is gone.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const TOP = resolve(HERE, '../..');
const PORT = need('MINICRM_PORT');
const CONF = need('MINICRM_CONF');
const BASE = `http://127.0.0.1:${PORT}`;
const OUT = resolve(process.env.MINICRM_BROWSER_OUT || join(TOP, 'tests/out/browser'));
const CHROMIUM = process.env.MINICRM_CHROMIUM || '/usr/bin/chromium';
// A run id keeps the data of two runs on one dev instance apart.
const RUN = Date.now().toString(36);

function need(name) {
	if (!process.env[name]) {
		console.error(`${name} is not set: run through make test or tests/browser/run.sh`);
		process.exit(2);
	}
	return process.env[name];
}

// ---------------------------------------------------------------- runner

let passed = 0, failed = 0;
const failures = [];

function check(what, ok, detail = '') {
	if (ok) {
		passed++;
		console.log(`ok   ${what}`);
	} else {
		failed++;
		failures.push(what);
		console.log(`FAIL ${what}`);
		if (detail) console.log(`     ${String(detail).slice(0, 400).replace(/\n/g, '\n     ')}`);
	}
	return ok;
}

// A test stops at its first exception, which counts as one failed check.
async function test(name, fn) {
	console.log(`\n== ${name}`);
	const t0 = Date.now();
	try {
		await fn();
	} catch (e) {
		if (e instanceof Counted) console.log(`     (${name}: stopped here)`);
		else check(`${name}: stopped`, false, e && e.message ? e.message.split('\n')[0] : e);
	}
	console.log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

// Stops a test; Counted when the failed check was already counted.
class Stop extends Error {}
class Counted extends Stop {}

// Throw (stop the test) unless ok; counts as a check either way.
function must(what, ok, detail) {
	if (!check(what, ok, detail)) throw new Counted(`cannot go on without: ${what}`);
}

// ---------------------------------------------------------------- the instance

function confValue(key) {
	const m = readFileSync(CONF, 'utf8').match(new RegExp(`^${key}='?([^'\\n]*)'?$`, 'm'));
	if (!m) throw new Error(`${key} not in ${CONF}`);
	return m[1];
}
const OWNER_URL = confValue('DATABASE_URL');

function minicrm(args, input) {
	return execFileSync(join(TOP, 'bin/minicrm'), args, {
		input, encoding: 'utf8', env: process.env, stdio: ['pipe', 'pipe', 'pipe'],
	}).trim();
}

// SQL as the schema owner. vars become psql variables: write :'name' in
// the statement, and psql quotes the value (no quoting by hand).
function sql(statement, vars = {}) {
	const args = [OWNER_URL, '-qAtX', '-v', 'ON_ERROR_STOP=1'];
	for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
	args.push('-f', '-');
	return execFileSync('psql', args, { input: statement, encoding: 'utf8' }).trim();
}

// Every key and password made here goes where the HTTP tests' go
// (tests/http/lib.sh's record_secret): after the suite,
// tests/http/secrets_check.sh greps every log for each.
function recordSecret(secret) {
	if (process.env.MINICRM_VAR && secret.length >= 8)
		appendFileSync(join(process.env.MINICRM_VAR, 'secrets.txt'), `${secret}\n`);
}

// Create a portal user (ignore "already exists" on a dev instance).
function ensureUser(email, password, role) {
	recordSecret(password);
	try {
		minicrm(['user', 'create', '--email', email, '--role', role], `${password}\n`);
	} catch (e) {
		if (!/already/i.test(String(e.stderr))) throw e;
	}
}

async function postEvents(key, events) {
	const r = await fetch(`${BASE}/api/internal/log-activity`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-api-key': key },
		body: JSON.stringify(events),
	});
	const body = await r.text();
	if (r.status !== 201) throw new Error(`log-activity answered ${r.status}: ${body.slice(0, 300)}`);
	return JSON.parse(body);
}

// ---------------------------------------------------------------- the data

const ADMIN = { email: 'browser@test', password: 'browser-test-password-1' };
const VIEWER = { email: 'browser-viewer@test', password: 'browser-viewer-password-1' };

// The payloads of the escaping test: each would run if printed raw, into
// text, into a double- or single-quoted attribute, or as a link.
const XSS = [
	'<script>window.__xss=1</script>',
	'"><img src=x onerror="window.__xss=2">',
	"' onmouseover='window.__xss=3' x='",
	'javascript:window.__xss=4',
	'</textarea></pre></td><svg onload="window.__xss=5">',
	'<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
	'{{user.email}} {{{csrf}}}',
];
const XSS_JOINED = XSS.join(' | ');
const RETRY_WORKFLOW = `wf ${XSS[1]}`;

const TIMELINE_EVENTS = 230;	// more than a page, whatever the page size
const lead = {
	external: `browser-ada-${RUN}`,
	first: 'Ada',
	last: `Lovelace${RUN}`,
	email: `ada.${RUN}@example.test`,
};
const decoy = { external: `browser-byron-${RUN}`, first: 'Ada', last: `Byron${RUN}` };
const xssLead = { external: `browser-xss-${RUN} "><img src=x onerror="window.__xss=7">` };

// The timeline lead's events: number i (1 = newest) occurred i × 37 minutes
// before an hour ago; every 25th is an INBOUND_REPLY, the rest alternate.
function eventType(i) {
	if (i % 25 === 0) return 'INBOUND_REPLY';
	return i % 2 ? 'MESSAGE_SENT' : 'MESSAGE_DELIVERED';
}
const label = i => `browser timeline event ${String(i).padStart(3, '0')} ${RUN}`;
const REPLIES = Array.from({ length: TIMELINE_EVENTS }, (_, k) => k + 1).filter(i => eventType(i) === 'INBOUND_REPLY');

async function seed() {
	// The HTTP tests log in from this address too: start with no attempts.
	sql('DELETE FROM login_attempts');
	ensureUser(ADMIN.email, ADMIN.password, 'admin');
	ensureUser(VIEWER.email, VIEWER.password, 'viewer');
	const key = minicrm(['apikey', 'create', '--name', `browser ${RUN}`]).split('\n').pop().trim();
	recordSecret(key);
	// A key whose name is a payload, for the keys page.
	recordSecret(minicrm(['apikey', 'create', '--name', `xss ${XSS[1]}`.slice(0, 100)]).split('\n').pop().trim());

	const t0 = Date.now() - 3600e3;
	const events = [];
	for (let i = 1; i <= TIMELINE_EVENTS; i++) {
		events.push({
			event_type: eventType(i),
			lead_id: lead.external,
			occurred_at: new Date(t0 - i * 37 * 60e3).toISOString(),
			source: 'browser-seed',
			execution_id: `exec-${RUN}-${i}`,
			channel: i % 3 ? 'sms' : 'email',
			message: label(i),
			metadata: { seq: i, run: RUN },
		});
	}
	await postEvents(key, events);
	await postEvents(key, [{ event_type: 'MESSAGE_SENT', lead_id: decoy.external, message: `decoy ${RUN}` }]);

	// The escaping test's events: a little in the future, so that they head
	// the activity page too.
	const soon = new Date(Date.now() + 5 * 60e3).toISOString();
	const xssEvents = XSS.map((p, n) => ({
		event_type: 'INBOUND_REPLY',
		lead_id: xssLead.external,
		occurred_at: soon,
		source: `src ${p}`.slice(0, 255),
		execution_id: `exec ${p}`.slice(0, 255),
		channel: p.slice(0, 64),
		message: `payload ${n}: ${p}`,
		metadata: { payload: p, url: 'javascript:window.__xss=8', nested: { html: XSS_JOINED } },
	}));
	await postEvents(key, xssEvents);

	sql(`UPDATE leads SET first_name = :'first', last_name = :'last', email = :'email', phone = '+15550100'
	     WHERE external_id = :'ext'`, { first: lead.first, last: lead.last, email: lead.email, ext: lead.external });
	sql(`UPDATE leads SET first_name = :'first', last_name = :'last' WHERE external_id = :'ext'`,
		{ first: decoy.first, last: decoy.last, ext: decoy.external });
	sql(`UPDATE leads SET first_name = :'first', last_name = :'last', email = :'email' WHERE external_id = :'ext'`,
		{ first: XSS[0], last: `${XSS[2]}${RUN}`, email: XSS[1], ext: xssLead.external });
	lead.id = sql(`SELECT id FROM leads WHERE external_id = :'ext'`, { ext: lead.external });
	decoy.id = sql(`SELECT id FROM leads WHERE external_id = :'ext'`, { ext: decoy.external });
	xssLead.id = sql(`SELECT id FROM leads WHERE external_id = :'ext'`, { ext: xssLead.external });
	seedCampaigns();

	// A retry-queue entry whose workflow-supplied fields are payloads, queued
	// as a workflow's error branch does. Its event type is unknown, so a
	// replay can never take it off the queue.
	const r = await fetch(`${BASE}/api/internal/retry-queue`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'x-api-key': key },
		body: JSON.stringify({
			payload: { event_type: 'BROWSER_NO_SUCH_TYPE', lead_id: XSS[0], message: XSS_JOINED },
			workflow: RETRY_WORKFLOW, execution_id: `${XSS[2]} ${RUN}`, lead_id: XSS[0],
			event_type: 'BROWSER_NO_SUCH_TYPE', error: XSS_JOINED,
		}),
	});
	if (r.status !== 201) check('queue a retry-queue entry through the API', false, `${r.status} ${await r.text()}`);
}

// The campaign pages' data, in the leads' client: two campaigns of the
// timeline lead's client, one whose name and step bodies are payloads (the
// payload lead is on it, with a journey whose fields are payloads too),
// and a lead that has received every message (stuck) for "run now".
const camp = {
	spring: `Browser spring ${RUN}`,
	autumn: `Browser autumn ${RUN}`,
	xss: `xss ${XSS[0]} ${XSS[1]} ${RUN}`,
	stuck: `browser-stuck-${RUN}`,
};
function seedCampaigns() {
	const client = sql(`SELECT client_id FROM leads WHERE id = :'id'`, { id: lead.id });
	camp.client = client;
	camp.clientSlug = sql(`SELECT slug FROM clients WHERE id = :'c'`, { c: client });
	const steps = JSON.stringify([{ body: 'Hello', delay_hours: 0 }, { body: 'Again', delay_hours: 24 }]);
	camp.springId = sql(`INSERT INTO campaigns (client_id, name, messages) VALUES (:'c', :'n', :'m') RETURNING id`,
		{ c: client, n: camp.spring, m: steps });
	camp.autumnId = sql(`INSERT INTO campaigns (client_id, name, messages) VALUES (:'c', :'n', :'m') RETURNING id`,
		{ c: client, n: camp.autumn, m: steps });
	camp.xssId = sql(`INSERT INTO campaigns (client_id, name, description, messages) VALUES (:'c', :'n', :'d', :'m') RETURNING id`,
		{ c: client, n: camp.xss, d: XSS_JOINED, m: JSON.stringify(XSS.map(x => ({ body: x, delay_hours: 1 }))) });
	const history = JSON.stringify([{ campaign_id: camp.xssId, campaign_name: XSS_JOINED, enrolled_at: XSS[2],
		ended_at: XSS[1], outcome: XSS[0], messages_received: XSS[3], total_messages: XSS[4] }]);
	sql(`UPDATE leads SET campaign_link_id = :'c', current_message_position = 1, enrolled_at = now(),
	     campaign_history = :'h' WHERE id = :'id'`, { c: camp.xssId, h: history, id: xssLead.id });
	camp.stuckId = sql(`INSERT INTO leads (client_id, external_id, first_name, campaign_link_id, current_message_position)
	     VALUES (:'c', :'e', 'Stuck', :'s', 2) RETURNING id`, { c: client, e: camp.stuck, s: camp.springId });
	// The campaign rows as an old system left them: wrong (drift).
	sql(`UPDATE campaigns SET active_leads_count = 40 WHERE id = :'s'`, { s: camp.springId });
}

// ---------------------------------------------------------------- page helpers

// Do something that navigates (a click, a submit, goto) and wait for the
// new page to load. Returns the main document's response.
async function nav(page, action) {
	const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), action()]);
	return resp;
}

const path = page => new URL(page.url()).pathname;
const count = (page, sel) => page.locator(sel).count();
const texts = (page, sel) => page.locator(sel).allTextContents();
const text = async (page, sel) => ((await page.locator(sel).first().textContent()) || '').trim();

// The first element matching sel, or stop the test naming what is missing
// (no waiting: the pages are rendered on the server, complete at load).
async function the(page, sel, what = sel) {
	const n = await count(page, sel);
	if (n === 0) throw new Stop(`no ${what} on ${path(page)}`);
	return page.locator(sel).first();
}

async function open(page, url, what) {
	const resp = await page.goto(BASE + url);
	const status = resp ? resp.status() : 0;
	must(`${what}: GET ${url} answers 200`, status === 200,
		status === 404 ? 'the page is not on this branch yet (404)' : `status ${status}`);
	return resp;
}

// A full-page screenshot, cut at SHOT_MAX_HEIGHT pixels (a page of 100
// rows would be a picture of megabytes, and slow to take).
const SHOT_MAX_HEIGHT = 2400;
async function shot(page, name) {
	const file = join(OUT, `${name}.png`);
	const size = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
	const clip = size[1] > SHOT_MAX_HEIGHT ? { x: 0, y: 0, width: size[0], height: SHOT_MAX_HEIGHT } : undefined;
	await page.screenshot({ path: file, fullPage: true, clip });
	shots.push(file);
}
const shots = [];

async function login(page, who) {
	await page.goto(`${BASE}/login`);
	await page.fill('input[name=email]', who.email);
	await page.fill('input[name=password]', who.password);
	await nav(page, () => page.click('form.login button[type=submit]'));
	return path(page) === '/';
}

// Submit a form by its submit button and wait for the answer page.
async function submit(page, formSel) {
	const form = await the(page, formSel);
	const button = form.locator('button[type=submit], input[type=submit], button:not([type])').first();
	return nav(page, () => button.click());
}

// The rows of the timeline on the page, as the user reads them.
async function timelineRows(page) {
	return page.locator('table#timeline tr.event').evaluateAll(rows => rows.map(r => {
		const cell = c => (r.querySelector(c)?.textContent || '').trim();
		return {
			type: cell('td.event-type'), occurred: cell('td.occurred'), channel: cell('td.channel'),
			source: cell('td.source'), execution: cell('td.execution'), message: cell('td.message'),
			metadata: r.querySelector('pre.metadata')?.textContent ?? null, text: r.textContent,
		};
	}));
}

function browserContext(browser, options = {}) {
	return browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
}

// ---------------------------------------------------------------- the tests

async function main() {
	rmSync(OUT, { recursive: true, force: true });
	mkdirSync(OUT, { recursive: true });
	const started = Date.now();
	await seed();
	console.log(`seeded in ${Date.now() - started} ms: lead ${lead.id} with ${TIMELINE_EVENTS} events`);

	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
			'--disable-background-networking'],
	});
	console.log(`Chromium ${browser.version()}`);
	try {
		await runTests(browser);
	} finally {
		await browser.close();
	}
	console.log(`\nscreenshots (${shots.length}) in ${OUT}:`);
	for (const f of shots) console.log(`  ${f}`);
	console.log(`browser tests took ${((Date.now() - started) / 1000).toFixed(1)} s`);
	if (failures.length) console.log(`failed checks:\n  ${failures.join('\n  ')}`);
	console.log(`portal.test.mjs: ${passed} checks passed, ${failed} failed`);
	process.exitCode = failed ? 1 : 0;
}

async function runTests(browser) {
	const admin = await browserContext(browser);
	const page = await admin.newPage();
	page.setDefaultTimeout(10000);
	const leadPath = () => `/leads/${lead.id}`;
	let noteAction = null;

	await test('1. log in', async () => {
		await open(page, '/', 'anonymous visit');
		check('an anonymous visitor is sent to the login page', path(page) === '/login', page.url());
		await shot(page, '01-login');
		await page.fill('input[name=email]', ADMIN.email);
		await page.fill('input[name=password]', 'not-the-password-at-all');
		const bad = await nav(page, () => page.click('form.login button[type=submit]'));
		check('a wrong password answers the login form again', path(page) === '/login' && bad.status() < 500,
			`${page.url()} ${bad.status()}`);
		check('a wrong password shows "wrong e-mail or password"',
			/wrong e-mail or password/i.test(await text(page, '.error')), await text(page, 'main'));
		check('the e-mail typed is kept in the form', await page.inputValue('input[name=email]') === ADMIN.email);
		check('the password is not kept', await page.inputValue('input[name=password]') === '');
		must('the right password opens the dashboard', await login(page, ADMIN), page.url());
		check('the dashboard shows the health figures', await count(page, '#events-last-24h') === 1);
		check('the session line names the user and role',
			/browser@test \(admin\)/.test(await text(page, '.session')), await text(page, '.session'));
		const links = await page.locator('nav a').evaluateAll(as => as.map(a => a.getAttribute('href')));
		check('the nav links every main page', links.join(' ') === '/ /leads /activity /campaigns /de-enrollment /nurture /retry-queue /alerts /keys', links.join(' '));
		await shot(page, '02-dashboard');
	});

	await test('2. search a lead, open its timeline, filter it, page through it', async () => {
		await open(page, '/leads', 'leads page');
		await shot(page, '03-leads');
		const q = await the(page, 'input[name=q]', 'search field (input name=q)');
		await q.fill(lead.last);
		await nav(page, () => q.press('Enter'));
		check('the search is in the address (a link one can share)',
			new URL(page.url()).searchParams.get('q') === lead.last, page.url());
		check('the search field keeps the query', await page.inputValue('input[name=q]') === lead.last);
		const found = await texts(page, 'table#leads tr.lead');
		check('the search finds exactly the lead', found.length === 1 && found[0].includes(lead.last),
			JSON.stringify(found));
		check('the other "Ada" is not among the results', !found.some(t => t.includes(decoy.last)));
		await shot(page, '04-leads-search');

		await page.fill('input[name=q]', lead.email);
		await nav(page, () => page.press('input[name=q]', 'Enter'));
		check('a search by e-mail finds the lead', (await texts(page, 'table#leads tr.lead')).some(t => t.includes(lead.last)));
		await page.fill('input[name=q]', lead.external);
		await nav(page, () => page.press('input[name=q]', 'Enter'));
		check("a search by the caller's lead id finds the lead",
			(await texts(page, 'table#leads tr.lead')).some(t => t.includes(lead.last)));

		const link = await the(page, 'table#leads tr.lead a.lead-link', 'link to the lead (a.lead-link)');
		await nav(page, () => link.click());
		must('the result opens the lead\'s timeline', path(page) === leadPath(), page.url());
		const rows = await timelineRows(page);
		check('the timeline lists events', rows.length > 0);
		check('newest first: the first row is the newest event', rows[0]?.message === label(1), rows[0]?.message);
		check('each row shows type, channel, source and execution id',
			rows[0]?.type === eventType(1) && rows[0]?.channel === 'sms' && rows[0]?.source === 'browser-seed' &&
			rows[0]?.execution === `exec-${RUN}-1`, JSON.stringify(rows[0]));
		check('the time is shown', /\d{1,2}:\d{2}/.test(rows[0]?.occurred || ''), rows[0]?.occurred);
		let meta = null;
		try { meta = JSON.parse(rows[0]?.metadata); } catch { /* checked below */ }
		check('the metadata is shown as JSON', meta && meta.seq === 1 && meta.run === RUN, rows[0]?.metadata);
		check('the first page is not every event (there are more pages)',
			rows.length < TIMELINE_EVENTS && await count(page, 'a[rel=next]') > 0, `${rows.length} rows`);
		await shot(page, '05-lead-timeline');

		// Filter by event type.
		const type = await the(page, 'form#timeline-filters [name=type]', 'event type filter');
		if (await type.evaluate(e => e.tagName) === 'SELECT') await type.selectOption('INBOUND_REPLY');
		else await type.fill('INBOUND_REPLY');
		await submit(page, 'form#timeline-filters');
		const only = await timelineRows(page);
		check('the filter is in the address', new URL(page.url()).searchParams.get('type') === 'INBOUND_REPLY', page.url());
		check('filtered by type, only that type remains',
			only.length > 0 && only.every(r => r.type === 'INBOUND_REPLY'), only.map(r => r.type).join(','));
		check(`filtered by type, all ${REPLIES.length} such events are shown`,
			only.length === REPLIES.length && only.map(r => r.message).join() === REPLIES.map(label).join(),
			only.map(r => r.message).join('; '));
		check('the filter form keeps the chosen type', await type.inputValue() === 'INBOUND_REPLY');
		await shot(page, '06-lead-timeline-filtered');

		// The time zone: the same event, nine hours later on the clock.
		await page.goto(BASE + leadPath());
		const utc = (await timelineRows(page))[0]?.occurred || '';
		const tz = await the(page, 'form#timeline-filters [name=tz]', 'time zone field');
		if (await tz.evaluate(e => e.tagName) === 'SELECT') await tz.selectOption('Asia/Tokyo');
		else await tz.fill('Asia/Tokyo');
		await submit(page, 'form#timeline-filters');
		const tokyo = (await timelineRows(page))[0]?.occurred || '';
		const hm = t => (t.match(/(\d{1,2}):(\d{2})/) || []).slice(1).map(Number);
		const [uh, um] = hm(utc), [th, tm] = hm(tokyo);
		check('in the Asia/Tokyo time zone the times read nine hours later',
			uh !== undefined && th === (uh + 9) % 24 && tm === um, `${utc} → ${tokyo}`);

		// Page to the last page and back.
		await page.goto(BASE + leadPath());
		const firstPage = await timelineRows(page);
		const last = await the(page, 'a.last-page', 'link to the last page (a.last-page)');
		await nav(page, () => last.click());
		const lastPage = await timelineRows(page);
		check('the last page ends with the oldest event',
			lastPage.at(-1)?.message === label(TIMELINE_EVENTS), lastPage.at(-1)?.message);
		check('the last page has no next link', await count(page, 'a[rel=next]') === 0);
		check('the last page has a previous link', await count(page, 'a[rel=prev]') > 0);
		const prev = await the(page, 'a[rel=prev]', 'previous link');
		await nav(page, () => prev.click());
		const before = await timelineRows(page);
		const seqOf = r => Number(r.message.split(' ')[3]);
		check('the previous page holds the events just newer than the last page',
			before.length > 0 && lastPage.length > 0 && seqOf(before.at(-1)) === seqOf(lastPage[0]) - 1,
			`${before.at(-1)?.message} / ${lastPage[0]?.message}`);
		const first = await the(page, 'a.first-page', 'link to the first page (a.first-page)');
		await nav(page, () => first.click());
		const again = await timelineRows(page);
		check('the first page link leads back to the newest events',
			again.map(r => r.message).join() === firstPage.map(r => r.message).join());
		check('the first page has no previous link', await count(page, 'a[rel=prev]') === 0);
		// Walk the pages with next: every event once, in order.
		const seen = [...again];
		for (let n = 0; n < 50 && await count(page, 'a[rel=next]') > 0; n++) {
			await nav(page, () => page.locator('a[rel=next]').first().click());
			seen.push(...await timelineRows(page));
		}
		const seqs = seen.map(seqOf);
		check(`following next from the first page shows all ${TIMELINE_EVENTS} events once, newest first`,
			seqs.length === TIMELINE_EVENTS && seqs.every((s, k) => s === k + 1),
			`${seqs.length} rows: ${seqs.slice(0, 5).join(',')}…${seqs.slice(-5).join(',')}`);
	});

	await test('3. add a note and change the status from the lead page', async () => {
		await open(page, leadPath(), 'lead page');
		const form = await the(page, 'form.note-form', 'note form (form.note-form)');
		noteAction = await form.evaluate(f => f.action);
		check('the note form posts', (await form.getAttribute('method') || '').toLowerCase() === 'post');
		check('the note form carries a CSRF token', await form.locator('input[type=hidden][name=csrf]').count() === 1);
		const note = `Called ${RUN}, left a voicemail <b>not bold</b> & "quoted"`;
		await form.locator('textarea[name=message]').fill(note);
		const resp = await submit(page, 'form.note-form');
		check('after the note, the lead page is shown again', path(page) === leadPath() && resp.status() === 200,
			`${page.url()} ${resp.status()}`);
		const rows = await timelineRows(page);
		check('the note heads the timeline as NOTE_ADDED', rows[0]?.type === 'NOTE_ADDED', JSON.stringify(rows[0]));
		check('the note reads as typed (as text)', rows[0]?.message === note, rows[0]?.message);
		check('the note names the acting admin', rows[0]?.text.includes(ADMIN.email), rows[0]?.text);
		const stored = sql(`SELECT count(*) FROM lead_activity_log WHERE lead_id = :'id' AND event_type = 'NOTE_ADDED' AND message = :'m'`,
			{ id: lead.id, m: note });
		check('the note is stored once in lead_activity_log', stored === '1', stored);
		await shot(page, '07-lead-note-added');

		// An empty note: the message beside the field, the page kept. The
		// browser's own "required" check is taken off to reach the server's.
		const before = await timelineRows(page);
		await page.locator('form.note-form textarea[name=message]').evaluate(t => {
			t.removeAttribute('required'); t.removeAttribute('minlength'); t.value = '';
		});
		const empty = await submit(page, 'form.note-form');
		check('an empty note is refused with a 4xx', empty.status() >= 400 && empty.status() < 500, empty.status());
		check('an empty note shows a message beside the field',
			await count(page, 'form.note-form .field-error') > 0 && (await text(page, 'form.note-form .field-error')).length > 0,
			await page.locator('main').innerHTML().then(h => h.slice(0, 300)));
		check('an empty note keeps the lead page (timeline and forms)',
			await count(page, 'table#timeline') === 1 && await count(page, 'form.status-form') === 1);
		const after = sql(`SELECT count(*) FROM lead_activity_log WHERE lead_id = :'id' AND event_type = 'NOTE_ADDED'`, { id: lead.id });
		check('an empty note writes nothing', after === '1', after);
		check('the timeline shown is unchanged', (await timelineRows(page))[0]?.message === before[0]?.message);
		await shot(page, '08-lead-note-empty');

		// Change the status.
		await page.goto(BASE + leadPath());
		const status = await the(page, 'form.status-form select[name=status]', 'status select');
		const options = await status.locator('option').evaluateAll(os => os.map(o => o.value));
		const current = await status.inputValue();
		const next = options.find(o => o && o !== current);
		must('the status form offers another status', next !== undefined, options.join(','));
		await status.selectOption(next);
		await submit(page, 'form.status-form');
		const st = await timelineRows(page);
		check('a status change heads the timeline as STATUS_CHANGED', st[0]?.type === 'STATUS_CHANGED', JSON.stringify(st[0]));
		check('the status change names the new status', st[0]?.text.includes(next), st[0]?.text);
		check('the lead has the new status', sql(`SELECT status FROM leads WHERE id = :'id'`, { id: lead.id }) === next);

		// Opt the other lead out.
		await open(page, `/leads/${decoy.id}`, 'the other lead\'s page');
		const confirm = page.locator('form.opt-out-form input[type=checkbox]');
		if (await confirm.count()) await confirm.check();
		await submit(page, 'form.opt-out-form');
		const oo = await timelineRows(page);
		check('marking opted out heads the timeline as OPTED_OUT', oo[0]?.type === 'OPTED_OUT', JSON.stringify(oo[0]));
	});

	await test('4. export the timeline as CSV', async () => {
		await open(page, `${leadPath()}?type=INBOUND_REPLY`, 'filtered lead page');
		const exp = await the(page, 'a.export', 'export link (a.export)');
		const [download] = await Promise.all([page.waitForEvent('download'), exp.click()]);
		const csv = readFileSync(await download.path(), 'utf8');
		const lines = csv.replace(/\r/g, '').split('\n').filter(l => l !== '');
		check('the download is a .csv file', /\.csv$/i.test(download.suggestedFilename()), download.suggestedFilename());
		check('the CSV starts with a header naming the columns',
			/event_type|type/i.test(lines[0] || '') && /occurred/i.test(lines[0] || '') && /message/i.test(lines[0] || ''),
			lines[0]);
		check(`the filtered CSV holds the ${REPLIES.length} rows of the filtered timeline`,
			lines.length - 1 === REPLIES.length && REPLIES.every((i, k) => lines[k + 1]?.includes(label(i))),
			lines.slice(0, 3).join(' / '));
		check('every row of the filtered CSV is an INBOUND_REPLY', lines.slice(1).every(l => l.includes('INBOUND_REPLY')));

		await page.goto(BASE + leadPath());
		const [all] = await Promise.all([page.waitForEvent('download'), page.locator('a.export').first().click()]);
		const body = readFileSync(await all.path(), 'utf8');
		const total = Number(sql(`SELECT count(*) FROM lead_activity_log WHERE lead_id = :'id'`, { id: lead.id }));
		const n = body.replace(/\r/g, '').split('\n').filter(l => l !== '').length - 1;
		check(`the whole timeline's CSV has all ${total} events`, n === total, `${n} rows`);
		check('the CSV quotes the note (it has a comma) and doubles its quotes', /"Called [^\n]*""quoted""/.test(body));
	});

	await test('5a. the activity page', async () => {
		await open(page, '/activity', 'activity page');
		check('the activity page lists events across leads', await count(page, 'tr.event') > 0);
		await shot(page, '09-activity');
	});

	await test('5b. the API keys page: create (shown once), use, revoke', async () => {
		await open(page, '/keys', 'API keys page');
		check('the API keys page lists the key made for this run', (await text(page, 'main')).includes(`browser ${RUN}`));
		await shot(page, '10-api-keys');

		const name = `browser portal key ${RUN}`;
		const form = await the(page, 'main form[method=post]:has(input[name=name])', 'new key form');
		await form.locator('input[name=name]').fill(name);
		await submit(page, 'main form[method=post]:has(input[name=name])');
		const shown = (await text(page, 'main')).match(/mcrm_[A-Za-z0-9]+_[A-Za-z0-9_-]+/);
		must('the new key is shown', shown !== null, await text(page, 'main'));
		const key = shown[0];
		recordSecret(key);
		await shot(page, '10b-api-key-created');
		const use = () => fetch(`${BASE}/api/internal/log-activity`, {
			method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key },
			body: JSON.stringify({ event_type: 'MESSAGE_SENT', lead_id: `browser-key-${RUN}` }),
		}).then(r => r.status);
		check('the key shown logs an event through the API', await use() === 201);
		await open(page, '/keys', 'API keys page again');
		check('the list never shows the whole key again', !(await page.content()).includes(key));
		const row = page.locator('table tr', { hasText: name });
		check('the list shows the new key', await row.count() === 1);
		const revoke = await the(page, `table tr:has-text("${name}") a.revoke, table tr:has-text("${name}") button`, 'revoke link');
		await nav(page, () => revoke.click());
		await submit(page, 'main form[method=post]');
		let status = 0;
		for (let t = 0; t < 30 && (status = await use()) !== 401; t++) await new Promise(r => setTimeout(r, 200));
		check('a revoked key is refused by the API (401) within seconds', status === 401, status);
		await open(page, '/keys', 'API keys page after the revoke');
		check('the list shows the key as revoked', /revoked/i.test(await page.locator('table tr', { hasText: name }).first().textContent()));
	});

	await test('5c. the retry queue page', async () => {
		await open(page, '/retry-queue', 'retry queue page');
		check('the retry queue page has a heading', await count(page, 'main h2') > 0);
		await shot(page, '11-retry-queue');
	});

	await test('5d. the 404 page', async () => {
		const nf = await page.goto(`${BASE}/no-such-page-${RUN}`);
		check('an unknown page answers 404', nf.status() === 404, nf.status());
		check('the 404 page is readable, in the layout with the nav',
			/404/.test(await text(page, 'main h2')) && await count(page, 'nav a') > 0);
		await shot(page, '12-not-found');
	});

	// 6. Payloads from workflows and users are shown as text and run
	// nothing. CSP is bypassed in this context: the escaping alone must
	// stop every payload.
	const xctx = await browserContext(browser, { bypassCSP: true });
	const p = await xctx.newPage();
	p.setDefaultTimeout(10000);
	const trouble = [];
	p.on('dialog', d => { trouble.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
	p.on('console', m => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) trouble.push(`console: ${m.text()}`); });
	p.on('pageerror', e => trouble.push(`page error: ${e.message}`));

	// What on the page shows that a payload became markup or ran: after
	// the mouse went over everything and every element got focus and blur
	// (an injected onmouseover/onfocus handler would fire).
	async function probe() {
		const dom = await p.evaluate(() => {
			for (const e of document.querySelectorAll('body *')) {
				for (const type of ['mouseover', 'mouseenter', 'focus', 'blur'])
					e.dispatchEvent(new Event(type, { bubbles: type === 'mouseover' }));
			}
			const jsUrl = e => ['href', 'src', 'action', 'formaction']
				.some(a => /^\s*javascript:/i.test(e.getAttribute(a) || ''));
			return {
				xss: typeof window.__xss,
				img: document.querySelectorAll('img[src=x]').length,
				svg: document.querySelectorAll('svg[onload]').length,
				iframe: document.querySelectorAll('iframe').length,
				inlineScripts: [...document.scripts]
					.filter(s => !s.src || !new URL(s.src).pathname.startsWith('/static/')).length,
				handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
					.filter(a => /^on/i.test(a.name)).map(a => `${e.tagName}[${a.name}]`)),
				jsLinks: [...document.querySelectorAll('[href],[src],[action],[formaction]')].filter(jsUrl).length,
			};
		});
		await p.waitForTimeout(50);	// let a dialog or error event arrive
		dom.trouble = trouble.splice(0);
		return dom;
	}

	// Nothing of a payload in the DOM, and nothing ran.
	async function inert(where) {
		const dom = await probe();
		check(`${where}: window.__xss stays undefined`, dom.xss === 'undefined', dom.xss);
		check(`${where}: no element made from a payload (img, svg, iframe, script, on* attribute)`,
			dom.img + dom.svg + dom.iframe + dom.inlineScripts + dom.handlers.length === 0, JSON.stringify(dom));
		check(`${where}: no javascript: link`, dom.jsLinks === 0);
		check(`${where}: no dialog, console error or page error`, dom.trouble.length === 0, dom.trouble.join('; '));
	}

	await test('6a. payloads: the probe sees them raw; log in (CSP bypassed); the 404 page', async () => {
		// The checks can fail: the same payloads put raw into a page.
		await p.setContent(`<main><table><tr>${XSS.map(x => `<td title='${x}'>${x}</td><td><a href="${x}">${x}</a></td>`).join('')}</tr></table>
			<button onclick="alert('x')">b</button></main>`);
		const raw = await probe();
		check('the probe catches raw payloads (window.__xss set, img, svg, iframe, handlers, javascript: link)',
			raw.xss !== 'undefined' && raw.img > 0 && raw.svg > 0 && raw.iframe > 0 && raw.handlers.length > 0 &&
			raw.jsLinks > 0, JSON.stringify(raw));
		must('log in (escaping test)', await login(p, ADMIN), p.url());
		await p.goto(`${BASE}/nothing-here/${encodeURIComponent(XSS[1])}`);
		await inert('404 page with a payload path');
	});

	await test('6b. payloads on the lead timeline', async () => {
		await open(p, `/leads/${xssLead.id}`, 'the payload lead\'s timeline');
		const rows = await timelineRows(p);
		check('the timeline shows every payload event', rows.length === XSS.length, rows.length);
		for (const [n, payload] of XSS.entries()) {
			const row = rows.find(r => r.message === `payload ${n}: ${payload}`);
			check(`timeline: payload ${n} reads literally in the message: ${payload}`, !!row,
				rows.map(r => r.message).join(' || '));
			if (!row) continue;
			check(`timeline: payload ${n} reads literally as channel, source and execution id`,
				row.channel === payload.slice(0, 64) && row.source === `src ${payload}` && row.execution === `exec ${payload}`,
				JSON.stringify(row));
			let meta = null;
			try { meta = JSON.parse(row.metadata); } catch { /* checked below */ }
			check(`timeline: payload ${n} reads literally in the metadata`,
				meta && meta.payload === payload && meta.nested?.html === XSS_JOINED && meta.url === 'javascript:window.__xss=8',
				row.metadata);
		}
		const body = await p.locator('main').textContent();
		check('timeline: the lead\'s name and e-mail read literally', body.includes(XSS[0]) && body.includes(XSS[1]),
			body.slice(0, 300));
		await inert('timeline');
		await shot(p, '13-xss-timeline');

		// The same payloads put in the filters come back in the form as text.
		await p.goto(`${BASE}/leads/${xssLead.id}?` + new URLSearchParams({ type: XSS[1], channel: XSS[2], from: XSS[1], to: XSS[2], tz: XSS[1] }));
		await inert('timeline with payloads in the filters');
	});

	await test('6c. payloads in the leads search', async () => {
		await open(p, '/leads?' + new URLSearchParams({ q: `${XSS[2]}${RUN}` }), 'leads search for the payload lead');
		check('leads search: the query comes back in the field as typed', await p.inputValue('input[name=q]') === `${XSS[2]}${RUN}`);
		const found = await p.locator('table#leads tr.lead').allTextContents();
		check('leads search: the payload lead\'s name reads literally', found.some(t => t.includes(XSS[0]) && t.includes(`${XSS[2]}${RUN}`)),
			found.join(' || '));
		await inert('leads search');
		await p.goto(`${BASE}/leads?q=${encodeURIComponent(XSS[1])}`);
		check('leads search: an attribute-breaking query stays in the field', await p.inputValue('input[name=q]') === XSS[1]);
		await inert('leads search with a payload query');
	});

	await test('6d. payloads on the activity page', async () => {
		await open(p, '/activity', 'activity page');
		const act = await p.locator('main').textContent();
		check('activity: every payload message reads literally', XSS.every((x, n) => act.includes(`payload ${n}: ${x}`)),
			act.slice(0, 300));
		await inert('activity');
		await shot(p, '14-xss-activity');
	});

	await test('6e. payloads on the API keys page', async () => {
		await open(p, '/keys', 'API keys page');
		check('keys: the payload key name reads literally', (await p.locator('main').textContent()).includes(`xss ${XSS[1]}`));
		await inert('keys');
	});

	await test('6f. payloads on the retry queue page', async () => {
		await open(p, '/retry-queue', 'retry queue page');
		check('retry queue: the payload workflow name reads literally', (await p.locator('main').textContent()).includes(RETRY_WORKFLOW));
		await inert('retry queue');
		const row = await the(p, `main tr:has-text(${JSON.stringify(RETRY_WORKFLOW)}) a[href^="/retry-queue/"]`, 'link to the payload row');
		await nav(p, () => row.click());
		const detail = await p.locator('main').textContent();
		check('retry queue row: the error and the queued payload read literally',
			detail.includes(XSS_JOINED) && XSS.every(x => detail.includes(JSON.stringify(x).slice(1, -1)) || detail.includes(x)),
			detail.slice(0, 400));
		await inert('retry queue row');
		await shot(p, '11b-xss-retry-row');
	});
	await test('6g. payloads on the campaign and de-enrollment pages', async () => {
		await open(p, `/campaigns?client=${camp.clientSlug}`, 'campaigns page');
		check('campaigns: the payload campaign name reads literally',
			(await p.locator('table#campaigns').textContent()).includes(camp.xss));
		await inert('campaigns');
		await open(p, `/campaigns/${camp.xssId}`, 'the payload campaign');
		check('campaign: the name and description read literally',
			await text(p, 'h2.campaign-name') === camp.xss && await text(p, 'p.description') === XSS_JOINED,
			await text(p, 'h2.campaign-name'));
		const bodies = await texts(p, 'ol#steps li.step span.body');
		check('campaign: every step body reads literally, in order',
			bodies.length === XSS.length && bodies.every((b, n) => b === XSS[n]), bodies.join(' || '));
		await inert('campaign');
		await shot(p, '17-xss-campaign');
		await p.goto(`${BASE}/campaigns/${camp.xssId}?` + new URLSearchParams({ state: XSS[1], after: XSS[0] }));
		await inert('campaign with a payload state (400)');
		await open(p, `/leads/${xssLead.id}`, 'the payload lead (campaign section)');
		check('lead: its campaign reads literally and links to it',
			await text(p, 'dd.campaign a') === camp.xss &&
			await p.locator('dd.campaign a').getAttribute('href') === `/campaigns/${camp.xssId}`);
		const journey = await p.locator('table#journeys tr.journey').first().textContent();
		check('lead: the journey\'s payload fields read literally',
			journey.includes(XSS_JOINED) && journey.includes(XSS[0]) && journey.includes(XSS[1]), journey);
		await inert('lead with a campaign');
		await open(p, `/de-enrollment?` + new URLSearchParams({ client: XSS[1], status: '' }), 'de-enrollment with a payload client');
		await inert('de-enrollment with a payload filter');
	});
	await test('6i. payloads on the nurture campaign pages', async () => {
		// A campaign whose every field is a payload, loaded around the
		// portal's checks (as an import would); the payload lead is in it,
		// with an e-mail whose subject and failure are payloads.
		const id = sql(`INSERT INTO nurture_campaigns (organization_id, campaign_name, description, from_email, from_name)
			VALUES (:'c', :'n', :'d', 'x@example.test', :'f') RETURNING id`,
			{ c: camp.client, n: `nurture ${XSS[0]} ${XSS[1]} ${RUN}`.slice(0, 200), d: XSS_JOINED, f: XSS[2] });
		for (let n = 0; n < XSS.length; n++)
			sql(`INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template)
				VALUES (:'id', :'n', :'s', :'b')`, { id, n: n + 1, s: XSS[n], b: `${XSS[n]} {{first_name}}` });
		sql(`UPDATE leads SET email = 'xss-${RUN}@example.test' WHERE id = :'l'`, { l: xssLead.id });
		sql(`SELECT nurture_enroll(:'id', ARRAY[:'l']::uuid[], now(), :'by')`, { id, l: xssLead.id, by: XSS[1] });
		const enrolment = sql(`SELECT id FROM lead_campaign_enrollments WHERE campaign_id = :'id'`, { id });
		sql(`INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status,
			scheduled_send_time, subject, failure_reason) VALUES (:'c', :'e', :'l', :'id', 1, 'failed', now(), :'s', :'s')`,
			{ c: camp.client, e: enrolment, l: xssLead.id, id, s: XSS_JOINED });
		await open(p, `/nurture/campaigns?client=${camp.clientSlug}`, 'nurture campaigns page');
		check('nurture campaigns: the payload name reads literally',
			(await p.locator('table#nurture-campaigns').textContent()).includes(`nurture ${XSS[0]} ${XSS[1]}`));
		await inert('nurture campaigns');
		await open(p, `/nurture/campaigns/${id}`, 'the payload nurture campaign');
		check('nurture campaign: the name and description read literally',
			(await text(p, 'h2.campaign-name')).startsWith(`nurture ${XSS[0]} ${XSS[1]}`) &&
			await text(p, 'p.description') === XSS_JOINED, await text(p, 'h2.campaign-name'));
		const subjects = await texts(p, 'ol#step-list li.step strong.subject');
		check('nurture campaign: every step subject reads literally, in order',
			subjects.length === XSS.length && subjects.every((s, n) => s === XSS[n]), subjects.join(' || '));
		const bodies = await texts(p, 'ol#step-list li.step pre.body');
		check('nurture campaign: every step body reads literally',
			bodies.every((b, n) => b === `${XSS[n]} {{first_name}}`), bodies.join(' || '));
		await inert('nurture campaign');
		await shot(p, '27-xss-nurture-campaign');
		await open(p, `/nurture/campaigns/${id}/preview?step=2&lead=${xssLead.id}`, 'the payload step previewed');
		check('preview: the lead\'s payload name is rendered as text', (await text(p, '#rendered-subject')) === XSS[1] &&
			(await text(p, '#rendered-body')).includes('&lt;script&gt;'), await text(p, '#rendered-body'));
		await inert('nurture preview');
		await open(p, `/leads/${xssLead.id}`, 'the payload lead (nurture section)');
		const sends = await p.locator('table#nurture-sends').textContent();
		check('lead: the e-mail\'s subject and failure read literally', sends.split(XSS_JOINED).length === 3, sends.slice(0, 300));
		await inert('lead with nurture e-mails');
		await p.goto(`${BASE}/nurture/campaigns/${id}?` + new URLSearchParams({ status: XSS[1], after: XSS[0] }));
		await inert('nurture campaign with a payload status (400)');
	});
	// The nurture pages' data: a client of its own (so the figures are
	// its alone), e-mails sent yesterday (10, all delivered, 5 opened, none
	// clicked), a failure and a subject made of payloads, an e-mail a
	// sender claimed and never settled, a workflow error with a payload.
	const nurt = { slug: `browser-nurture-${RUN}`, name: `nurture ${XSS[0]} ${XSS[1]} ${RUN}` };
	function seedNurture() {
		if (nurt.client) return;
		nurt.client = sql(`INSERT INTO clients (slug, name) VALUES (:'s', 'Browser nurture') RETURNING id`, { s: nurt.slug });
		nurt.lead = sql(`INSERT INTO leads (client_id, external_id, first_name, email) VALUES (:'c', :'e', 'Nora', :'m') RETURNING id`,
			{ c: nurt.client, e: `browser-nurture-${RUN}`, m: `nora.${RUN}@example.test` });
		nurt.camp = sql(`INSERT INTO nurture_campaigns (organization_id, campaign_name, from_email) VALUES (:'c', :'n', 'news@example.test') RETURNING id`,
			{ c: nurt.client, n: nurt.name });
		sql(`INSERT INTO nurture_campaign_steps (campaign_id, step_number, subject, body_template)
		     SELECT :'k', g, 'Step ' || g, 'Hi {{first_name}}' FROM generate_series(1, 12) g`, { k: nurt.camp });
		const enrol = sql(`INSERT INTO lead_campaign_enrollments (organization_id, lead_id, campaign_id, next_send_at)
		     VALUES (:'c', :'l', :'k', now() + interval '1 day') RETURNING id`, { c: nurt.client, l: nurt.lead, k: nurt.camp });
		const v = { c: nurt.client, e: enrol, l: nurt.lead, k: nurt.camp, x: XSS_JOINED, y: XSS[1] };
		sql(`INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status,
		       scheduled_send_time, actual_send_time, delivered_at, opened_at, subject)
		     SELECT :'c', :'e', :'l', :'k', g, 'sent', now() - interval '1 day', now() - interval '1 day',
		       now() - interval '1 day', CASE WHEN g <= 5 THEN now() - interval '20 hours' END, 'Step ' || g
		     FROM generate_series(1, 10) g`, v);
		sql(`INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number, send_status,
		       scheduled_send_time, subject, failure_reason) VALUES (:'c', :'e', :'l', :'k', 11, 'failed', now(), :'x', :'x')`, v);
		nurt.unsettled = sql(`INSERT INTO email_sends (organization_id, enrollment_id, lead_id, campaign_id, step_number,
		       scheduled_send_time, claimed_at, claimed_by, attempts, subject)
		     VALUES (:'c', :'e', :'l', :'k', 12, now(), now() - interval '30 minutes', :'y', 1, :'y') RETURNING id`, v);
		sql(`INSERT INTO workflow_errors (workflow_name, error_message, context)
		     VALUES ('Lead Nurture - Email Sender', :'x', jsonb_build_object('sendgrid', :'x'))`, v);
		sql(`INSERT INTO campaign_analytics (organization_id, campaign_id, analytics_date, emails_sent_today,
		       unique_opens_today, open_rate, click_rate) VALUES (:'c', :'k', CURRENT_DATE - 1, 10, 5, 50, 0)`, v);
	}

	await test('6h. payloads on the nurture pages', async () => {
		seedNurture();
		// The sender paused with a reason made of payloads (as a revoked
		// key's reason would be shown).
		const was = sql(`SELECT paused || '|' || changed_by || '|' || reason FROM nurture_control WHERE name = 'sender'`).split('|');
		sql(`UPDATE nurture_control SET paused = true, reason = left(:'x', 500), changed_by = 'nurture-sender' WHERE name = 'sender'`,
			{ x: XSS_JOINED });
		try {
			await open(p, `/nurture?client=${nurt.slug}`, 'the nurture dashboard');
			check('nurture: the pause reason reads literally at the top', await text(p, '#sender-paused .reason') === XSS_JOINED,
				await text(p, '#sender-paused'));
			check('nurture: the campaign name reads literally in the analytics',
				await text(p, 'table#analytics td.campaign a') === nurt.name, await text(p, 'table#analytics td.campaign'));
			await inert('nurture dashboard');
			await open(p, `/nurture/sends?client=${nurt.slug}`, 'the send queue');
			const subjects = await texts(p, 'table#sends td.subject');
			check('send queue: the subjects read literally', subjects.includes(XSS_JOINED) && subjects.includes(XSS[1]),
				subjects.join(' || '));
			check('send queue: the failure reason reads literally, in the table and by reason',
				(await texts(p, 'table#sends td.failure')).some(t => t.trim() === XSS_JOINED) &&
				(await texts(p, 'table#failures td.reason')).some(t => t.trim() === XSS_JOINED));
			check('send queue: the campaign name reads literally in the menu',
				(await texts(p, 'form#send-filters select[name=campaign] option')).some(t => t.includes(nurt.name)));
			await inert('send queue');
			await shot(p, '23-xss-nurture-sends');
			await open(p, '/nurture/errors', 'the workflow errors');
			check('errors: the message reads literally', (await texts(p, 'table#errors td.message')).includes(XSS_JOINED));
			check('errors: the SendGrid payload reads literally as JSON',
				(await texts(p, 'table#errors pre.metadata')).some(t => { try { return JSON.parse(t).sendgrid === XSS_JOINED; } catch { return false; } }));
			await inert('workflow errors');
			await p.goto(`${BASE}/nurture/sends?` + new URLSearchParams({ state: XSS[1], campaign: XSS[0], client: XSS[2] }));
			await inert('send queue with payload filters (400)');
			await p.goto(`${BASE}/nurture?` + new URLSearchParams({ client: XSS[1], days: XSS[0] }));
			await inert('nurture dashboard with payload filters (400)');
		} finally {
			sql(`UPDATE nurture_control SET paused = :'p'::boolean, changed_by = :'b', reason = :'r' WHERE name = 'sender'`,
				{ p: was[0], b: was[1], r: was.slice(2).join('|') });
		}
	});
	await xctx.close();

	await test('7. a viewer sees no action forms and is refused a POST', async () => {
		const ctx = await browserContext(browser);
		const p = await ctx.newPage();
		p.setDefaultTimeout(10000);
		must('a viewer can log in', await login(p, VIEWER), p.url());
		check('the session line says viewer', /\(viewer\)/.test(await text(p, '.session')));
		await open(p, leadPath(), 'lead page (viewer)');
		check('the viewer sees the timeline', (await timelineRows(p)).length > 0);
		check('the viewer sees no note, status or opt-out form',
			await count(p, 'form.note-form, form.status-form, form.opt-out-form') === 0);
		const posts = await p.locator('main form').evaluateAll(fs => fs.filter(f => f.method === 'post').length);
		check('the viewer\'s page has no form that changes anything', posts === 0, `${posts} POST forms`);
		await shot(p, '15-lead-viewer');

		// The viewer posts a note anyway, with the session's own CSRF token.
		const action = noteAction || `${BASE}${leadPath()}/notes`;
		const before = sql(`SELECT count(*) FROM lead_activity_log WHERE lead_id = :'id'`, { id: lead.id });
		const resp = await nav(p, () => p.evaluate(([url, msg]) => {
			const f = document.createElement('form');
			f.method = 'post';
			f.action = url;
			for (const [name, value] of [['csrf', document.querySelector('.session input[name=csrf]').value], ['message', msg]]) {
				const i = document.createElement('input');
				i.type = 'hidden'; i.name = name; i.value = value;
				f.append(i);
			}
			document.body.append(f);
			f.submit();
		}, [action, `viewer note ${RUN}`]));
		check('a viewer\'s POST is refused with 403', resp.status() === 403, `${resp.status()} at ${action}`);
		check('the refusal is a readable page in the layout',
			/403/.test(await text(p, 'main h2')) && await count(p, 'nav a') > 0, await text(p, 'main'));
		const after = sql(`SELECT count(*) FROM lead_activity_log WHERE lead_id = :'id'`, { id: lead.id });
		check('the viewer\'s POST wrote nothing', after === before, `${before} → ${after}`);
		await shot(p, '16-forbidden');
		await ctx.close();
	});

	await test('8. the portal works without JavaScript', async () => {
		const ctx = await browserContext(browser, { javaScriptEnabled: false });
		const p = await ctx.newPage();
		p.setDefaultTimeout(10000);
		must('log in without JavaScript', await login(p, ADMIN), p.url());
		await open(p, '/leads', 'leads page without JavaScript');
		await p.fill('input[name=q]', lead.last);
		await nav(p, () => p.press('input[name=q]', 'Enter'));
		const found = await texts(p, 'table#leads tr.lead');
		check('search without JavaScript finds the lead', found.length === 1 && found[0].includes(lead.last));
		const link = await the(p, 'table#leads tr.lead a.lead-link', 'link to the lead');
		await nav(p, () => link.click());
		check('the timeline opens without JavaScript', path(p) === leadPath() && (await timelineRows(p)).length > 0);
		const type = await the(p, 'form#timeline-filters [name=type]', 'event type filter');
		if (await type.evaluate(e => e.tagName) === 'SELECT') await type.selectOption('INBOUND_REPLY');
		else await type.fill('INBOUND_REPLY');
		await submit(p, 'form#timeline-filters');
		const only = await timelineRows(p);
		check('the filter works without JavaScript', only.length === REPLIES.length && only.every(r => r.type === 'INBOUND_REPLY'));
		await ctx.close();
	});

	await test('10. campaigns: drift, recalculate, a campaign, a lead enrolled, moved and removed', async () => {
		await page.goto(BASE + '/');
		const navLink = await the(page, 'nav a[href="/campaigns"]', 'Campaigns link');
		await nav(page, () => navLink.click());
		must('the Campaigns link opens the campaigns', path(page) === '/campaigns', page.url());
		await page.selectOption('form#campaign-filters select[name=client]', camp.clientSlug);
		await submit(page, 'form#campaign-filters');
		check('the client filter is in the address', new URL(page.url()).searchParams.get('client') === camp.clientSlug);
		const spring = page.locator(`tr#campaign-${camp.springId}`);
		check('the drifted campaign shows its count beside the leads\' (40 ≠ 1)',
			(await spring.locator('td.count.active').textContent()).trim() === '40 ≠ 1' &&
			await spring.locator('td.count.active.drift').count() === 1,
			await spring.locator('td.count.active').textContent());
		await shot(page, '18-campaigns');
		await submit(page, 'form#recalculate');
		check('Recalculate says what it corrected', /Recalculated: \d+ campaigns? corrected/.test(await text(page, '#flash')),
			await text(page, '#flash'));
		check('...and the count is the leads\' now',
			(await page.locator(`tr#campaign-${camp.springId} td.count.active`).textContent()).trim() === '1');

		await nav(page, () => page.click(`tr#campaign-${camp.springId} td.name a`));
		must('the name opens the campaign', path(page) === `/campaigns/${camp.springId}`, page.url());
		check('its two steps are listed', (await texts(page, 'ol#steps li.step span.body')).join('|') === 'Hello|Again');
		check('the completions chart is drawn', await count(page, 'svg.chart g') === 14);
		await nav(page, () => page.click('#tab-stuck'));
		const stuck = await texts(page, 'table#campaign-leads a.lead-link');
		check('the stuck tab lists the lead that received every message', stuck.length === 1 && stuck[0] === 'Stuck',
			stuck.join(','));
		await shot(page, '19-campaign');

		await open(page, leadPath(), 'the lead page (campaign section)');
		check('a lead on no campaign says so', await text(page, 'dd.campaign') === 'none');
		await page.selectOption('form.enrol-form select[name=campaign_id]', camp.springId);
		await submit(page, 'form.enrol-form');
		check('enrolling returns to the lead', path(page) === leadPath(), page.url());
		check('the lead is on the campaign, at 0 of 2', await text(page, 'dd.campaign a') === camp.spring &&
			await text(page, 'dd.position') === '0 / 2', await text(page, '#lead-campaign'));
		check('the timeline shows the enrolment first', (await timelineRows(page))[0]?.type === 'CAMPAIGN_ENROLLED');
		await page.selectOption('form.enrol-form select[name=campaign_id]', camp.autumnId);
		await submit(page, 'form.enrol-form');
		check('moving puts it on the other campaign', await text(page, 'dd.campaign a') === camp.autumn);
		check('...and keeps the first journey as moved',
			(await texts(page, 'table#journeys td.outcome')).join() === 'moved');
		await submit(page, 'form.remove-form');
		check('removing takes it off', await text(page, 'dd.campaign') === 'none');
		const actors = sql(`SELECT string_agg(event_type || ':' || (metadata->>'actor'), ',' ORDER BY id)
			FROM lead_activity_log WHERE lead_id = :'id' AND event_type LIKE 'CAMPAIGN%'`, { id: lead.id });
		check('each action is one event with the admin as actor',
			actors === `CAMPAIGN_ENROLLED:${ADMIN.email},CAMPAIGN_ENROLLED:${ADMIN.email},CAMPAIGN_DE_ENROLLED:${ADMIN.email}`, actors);
		await shot(page, '20-lead-campaign');
	});

	await test('11. de-enrollment: run now for a client, the run and its lead log', async () => {
		await page.goto(BASE + '/');
		await nav(page, () => page.click('nav a[href="/de-enrollment"]'));
		must('the De-enrollment link opens the page', path(page) === '/de-enrollment', page.url());
		check('the health table lists the client', await count(page, `table#health tr#health-${camp.clientSlug}`) === 1);
		await shot(page, '21-de-enrollment');
		await page.selectOption('form#run-now select[name=client_id]', camp.client);
		await submit(page, 'form#run-now');
		const flash = await text(page, '#flash');
		check('run now says what it did', /Ran de-enrollment for 1 client: [1-9]\d* leads? de-enrolled, 0 failed, 0 partial/.test(flash), flash);
		check('the stuck lead is completed', sql(`SELECT completed_at IS NOT NULL FROM leads WHERE id = :'id'`, { id: camp.stuckId }) === 't');
		const run = await the(page, '#flash a', 'link to the run');
		await nav(page, () => run.click());
		check('the run page says who ran it', await text(page, 'dd.triggered-by') === `portal:${ADMIN.email}`,
			await text(page, 'dd.triggered-by'));
		check('its lead log lists the stuck lead', (await texts(page, 'table#lead-log a.lead-link')).includes('Stuck'));
		await shot(page, '22-de-enrollment-run');
	});

	await test('13. nurture campaigns: create one and a step in the browser, a broken template refused, the preview names a missing token, enrol the lead', async () => {
		await open(page, '/nurture/campaigns', 'nurture campaigns page');
		const name = `Browser nurture ${RUN}`;
		await page.click('details#create-campaign summary');
		await page.selectOption('form#nurture-campaign-create select[name=client]', camp.clientSlug);
		await page.fill('form#nurture-campaign-create [name=name]', name);
		await page.fill('form#nurture-campaign-create [name=from_email]', 'hello@example.test');
		await page.fill('form#nurture-campaign-create [name=from_name]', 'The team');
		await submit(page, 'form#nurture-campaign-create');
		must('creating opens the campaign', /^\/nurture\/campaigns\/[0-9a-f-]{36}$/.test(path(page)), page.url());
		const id = path(page).split('/').pop();
		check('its name is the heading', await text(page, 'h2.campaign-name') === name);
		check('it is active', (await text(page, '#campaign-status')).startsWith('active'));

		await page.click('details#add-step summary');
		await page.fill('form#step-add [name=subject]', 'Hi {{first_name}}');
		await page.fill('form#step-add [name=body]', 'Hello {{first_name}},\n{{#offer}}an offer');
		let resp = await submit(page, 'form#step-add');
		check('a body that does not compile is refused (400)', resp.status() === 400, resp.status());
		check('...with the parser\'s line and column beside it',
			/line 2, column 1: unclosed section 'offer'/.test(await text(page, '#add-error-body')), await text(page, '#add-error-body'));
		check('...what was typed kept', (await page.inputValue('form#step-add [name=body]')).includes('{{#offer}}an offer'));
		await page.fill('form#step-add [name=body]', 'Hello {{first_name}} at {{company}}');
		await page.fill('form#step-add [name=delay_minutes]', '0');
		resp = await submit(page, 'form#step-add');
		check('the step is added', path(page) === `/nurture/campaigns/${id}` && /Step 1 added/.test(await text(page, '#flash')),
			await text(page, 'main'));
		check('its subject is listed', await text(page, 'li#step-1 strong.subject') === 'Hi {{first_name}}');
		check('...with the names it uses', await text(page, 'li#step-1 p.names code') === '{{first_name}}, {{company}}',
			await text(page, 'li#step-1 p.names'));
		await shot(page, '28-nurture-campaign');

		await page.fill('form#preview-form [name=lead]', lead.id);
		await submit(page, 'form#preview-form');
		check('the preview for a lead without a company names the missing token',
			await text(page, '#missing-token code.missing') === '{{company}}', await text(page, 'main'));
		check('...and says the e-mail would not be sent', /no value for \{\{company\}\}/.test(await text(page, '#preview-error')));
		check('...and shows no rendered e-mail', await count(page, '#rendered-body') === 0);
		await shot(page, '29-nurture-preview-missing');
		sql(`UPDATE leads SET metadata = '{"company": "Analytical Engines"}' WHERE id = :'id'`, { id: lead.id });
		await page.reload();
		check('with a company in its metadata the preview renders',
			await text(page, '#rendered-body') === 'Hello Ada at Analytical Engines', await text(page, 'main'));

		await open(page, leadPath(), 'the lead page (nurture section)');
		await page.selectOption('form#nurture-enrol-form select[name=campaign_id]', id);
		await submit(page, 'form#nurture-enrol-form');
		check('enrolling returns to the lead and says so', path(page) === leadPath() &&
			/Enrolled/.test(await text(page, '#nurture-flash')), await text(page, '#lead-nurture'));
		check('the enrolment is listed, active at step 0 of 1',
			(await texts(page, 'table#nurture-enrolments tr.nurture-enrolment td.status')).join() === 'active' &&
			await text(page, 'table#nurture-enrolments td.step') === '0 / 1', await text(page, '#lead-nurture'));
		await page.selectOption('form#nurture-enrol-form select[name=campaign_id]', id);
		await submit(page, 'form#nurture-enrol-form');
		check('enrolling again is one enrolment', /already/.test(await text(page, '#nurture-flash')) &&
			await count(page, 'table#nurture-enrolments tr.nurture-enrolment') === 1);
		await shot(page, '30-lead-nurture');

		await open(page, `/nurture/campaigns/${id}`, 'the campaign again');
		await submit(page, 'form#pause-form');
		check('pause', (await text(page, '#campaign-status')).startsWith('paused'), await text(page, '#campaign-status'));
		await submit(page, 'form#resume-form');
		check('resume', (await text(page, '#campaign-status')).startsWith('active'), await text(page, '#campaign-status'));
	});

	await test('12. nurture: KPI colours, rate charts, pause and resume the sender, release an e-mail', async () => {
		seedNurture();
		await page.goto(BASE + '/');
		await nav(page, () => page.click('nav a[href="/nurture"]'));
		must('the Nurture link opens the dashboard', path(page) === '/nurture', page.url());
		await page.selectOption('form#nurture-filters select[name=client]', nurt.slug);
		await submit(page, 'form#nurture-filters');
		check('the client filter is in the address', new URL(page.url()).searchParams.get('client') === nurt.slug);
		check('the KPI table has the runbook\'s seven metrics', await count(page, 'table#kpis tr.kpi') === 7);
		const kpi = async key => page.locator(`tr#kpi-${key}`).evaluate(r => ({
			cls: r.className, value: r.querySelector('td.value').textContent.trim(),
			colour: getComputedStyle(r.querySelector('td.value')).color, background: getComputedStyle(r).backgroundColor,
		}));
		const opened = await kpi('open'), click = await kpi('click'), delivery = await kpi('delivery');
		check('open rate 50 %: ok, shown green', opened.cls.includes('level-ok') && /^50 %/.test(opened.value) &&
			opened.colour === 'rgb(26, 127, 55)', JSON.stringify(opened));
		check('click rate 0 %: bad, shown red', click.cls.includes('level-bad') && /^0 %/.test(click.value) &&
			click.colour === 'rgb(176, 0, 32)', JSON.stringify(click));
		check('delivery 100 %: ok', delivery.cls.includes('level-ok') && /^100 %/.test(delivery.value), JSON.stringify(delivery));
		check('a bad row is tinted differently from an ok one', click.background !== opened.background, `${click.background} / ${opened.background}`);
		check('five rate charts, each an SVG of 14 days', await count(page, 'figure.rate-chart svg.chart') === 5 &&
			await count(page, 'figure#chart-open svg.chart g') === 14);
		const bar = await page.locator('figure#chart-open svg.chart rect').evaluateAll(rs => rs.map(r => r.getBoundingClientRect().height));
		check('the open-rate chart draws yesterday\'s bar', bar.length === 1 && bar[0] > 10, JSON.stringify(bar));
		check('the chart says what it shows', /Open rate per day/.test(await page.locator('figure#chart-open svg').getAttribute('aria-label')));
		await shot(page, '24-nurture');

		// Pause the sender with a reason, then resume it.
		const reason = `SendGrid incident ${RUN}`;
		await page.fill('form[action="/nurture/sender/pause"] input[name=reason]', reason);
		await submit(page, 'form[action="/nurture/sender/pause"]');
		check('pausing says so', await text(page, '#flash') === 'The sender is paused.', await text(page, '#flash'));
		check('the reason is shown at the top', await text(page, '#sender-paused .reason') === reason, await text(page, '#sender-paused'));
		check('nurture_control: the sender is paused, by this admin',
			sql(`SELECT paused || '|' || reason || '|' || changed_by FROM nurture_control WHERE name = 'sender'`) ===
			`true|${reason}|portal:${ADMIN.email}`);
		await shot(page, '25-nurture-paused');
		await submit(page, 'form[action="/nurture/sender/resume"]');
		check('resuming says so, and the banner is gone', await text(page, '#flash') === 'The sender is running again.' &&
			await count(page, '#sender-paused') === 0);
		check('nurture_control: running', sql(`SELECT paused FROM nurture_control WHERE name = 'sender'`) === 'f');

		// The e-mail a sender claimed and never settled: release it.
		await nav(page, () => page.click('#sends-link'));
		await page.selectOption('form#send-filters select[name=state]', 'unsettled');
		await page.selectOption('form#send-filters select[name=client]', nurt.slug);
		await submit(page, 'form#send-filters');
		check('the unsettled e-mail is listed with its actions', await count(page, `tr#send-${nurt.unsettled} form.release-form`) === 1);
		await shot(page, '26-nurture-sends');
		await submit(page, `tr#send-${nurt.unsettled} form.release-form`);
		check('releasing says so', /Released/.test(await text(page, '#flash')), await text(page, '#flash'));
		check('the e-mail is unclaimed, queued again',
			sql(`SELECT send_status || '|' || (claimed_at IS NULL) FROM email_sends WHERE id = :'id'`, { id: nurt.unsettled }) === 'queued|true');
	});

	await test('9. log out', async () => {
		await page.goto(BASE + '/');
		const button = await the(page, '.session button', 'log-out button');
		check('the button says "Log out"', (await button.textContent()).trim() === 'Log out');
		await nav(page, () => button.click());
		check('logging out shows the login page', path(page) === '/login', page.url());
		await page.goBack();
		check('the back button does not show the dashboard again (no-store)',
			await count(page, '#events-last-24h, .session') === 0, `${page.url()}: ${await text(page, 'main')}`);
		await page.goto(BASE + leadPath());
		check('the lead page now sends to the login page', path(page) === '/login', page.url());
	});
	await admin.close();
}

main().catch(e => {
	console.error(e);
	console.log(`portal.test.mjs: ${passed} checks passed, ${failed + 1} failed`);
	process.exit(1);
});
