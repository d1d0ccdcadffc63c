// GET /dashboard in a real headless Chromium: the page loads with no console error, shows the running
// deployments and their replicas' states, its request numbers move when load is applied, a replica's log lines
// show when it is picked, an unhealthy deployment shows with its last error, and an admin token works. A screenshot is kept under .tap/screenshots/ (git-ignored).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { AdminServer, Deployer, serve } from '../../src/admin/index.ts';
import { silentLogger } from '../../src/http/index.ts';
import { Fragile, Front, Worker } from './dashboard-app.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = fileURLToPath(new URL('../../.tap/screenshots/', import.meta.url));
const LOAD = 20;

t.test('the dashboard in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the dashboard test` }, async t => {
  const { chromium } = await import('playwright-core');
  await serve.start({ http: { port: 0, logger: silentLogger } });
  t.teardown(() => serve.shutdown({ timeoutMs: 2000 }));
  await serve.run(Front.bind(Worker.bind()), { name: 'calc', routePrefix: '/calc' });
  const base = `http://127.0.0.1:${serve.address!.port}`;
  const admin = new AdminServer({ port: 0, deployer: new Deployer(serve, { capacity: { cpus: 2, gpus: [], memoryMb: 4096 } }) });
  const { port } = await admin.listen();
  t.teardown(() => admin.close());

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.setDefaultTimeout(60_000); // a busy machine running the whole suite
  const consoleErrors: string[] = [];
  page.on('console', m => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', err => consoleErrors.push(err.message));
  const text = (selector: string) => page.locator(selector).innerText();
  // A function, not a string: the page's Content-Security-Policy forbids eval, which a string predicate needs.
  const until = (selector: string, pattern: RegExp) =>
    page.waitForFunction(([sel, source]) => new RegExp(source).test((globalThis as any).document.querySelector(sel)?.innerText ?? ''), [selector, pattern.source] as const);
  const atLeast = (selector: string, n: number) =>
    page.waitForFunction(([sel, min]) => Number((globalThis as any).document.querySelector(sel)?.innerText) >= min, [selector, n] as const);

  const res = await page.goto(`http://127.0.0.1:${port}/dashboard`);
  t.equal(res?.status(), 200);
  t.equal(await page.title(), 'troupe dashboard');

  await t.test('serves only its own files, uPlot from its npm package', async t => {
    const at = `http://127.0.0.1:${port}/dashboard`;
    const uplot = await fetch(`${at}/uPlot.iife.min.js`);
    t.equal(uplot.status, 200);
    t.match(uplot.headers.get('content-type'), /javascript/);
    t.match(await uplot.text(), /uPlot/);
    for (const name of ['nope.js', '..%2F..%2Fpackage.json', '%2Fetc%2Fpasswd']) {
      const r = await fetch(`${at}/${name}`);
      t.equal(r.status, 404, name);
      t.match(((await r.json()) as { error: { message: string } }).error.message, /open \/dashboard/);
    }
  });

  await t.test('shows the running deployments and their replicas', async t => {
    await until('#replicas tbody', /(RUNNING[^]*){3}/);
    const deployments = await text('#deployments tbody');
    t.match(deployments, /calc\/Front\s+HEALTHY\s+1 \/ 1/);
    t.match(deployments, /calc\/Worker\s+HEALTHY\s+2 \/ 2/);
    const replicas = await page.locator('#replicas tbody tr').allInnerTexts();
    t.equal(replicas.length, 3);
    for (const r of replicas) t.match(r, /RUNNING/);
    t.match(await text('#applications tbody'), /calc\s+RUNNING\s+\/calc/);
    t.match(await text('#resources'), /CPUs: .* of 2\.00/);
  });

  await t.test('its request numbers move when load is applied', async t => {
    // The first scrape is the baseline the rate is measured from.
    await until('#stat-requests', /^\d+$/);
    t.equal(await text('#stat-requests'), '0');
    let ok = 0;
    for (let i = 0; i < LOAD; i++) {
      const r = await fetch(`${base}/calc/work/${i}`);
      if (r.status === 200) ok++;
      await r.arrayBuffer();
    }
    t.equal(ok, LOAD, 'the load was served');
    await atLeast('#stat-requests', LOAD);
    t.equal(await text('#stat-requests'), String(LOAD), 'every request counted once');
    t.ok(Number(await text('#stat-rate-peak')) > 0, 'the rate chart saw requests per second above 0');
    t.match(await text('#stat-latency'), /^[\d.]+ \/ [\d.]+ \/ [\d.]+ ms$/, 'latency percentiles from the histogram');
  });

  await t.test('a replica picked in the table shows its log lines', async t => {
    await page.locator('#replicas tbody tr', { hasText: 'calc/Worker#0' }).click();
    t.match(await text('#log-target'), /calc\/Worker#0/);
    await until('#logs', /working on/);
    t.match(await text('#logs'), /working on \d+  req=\S+/, 'with the request id of the call that logged it');
  });

  await t.test('a deployment whose replicas keep failing shows with its last error', async t => {
    const flag = join(mkdtempSync(join(tmpdir(), 'troupe-dashboard-')), 'broken');
    t.teardown(() => rmSync(dirname(flag), { recursive: true, force: true }));
    await serve.run(Fragile.bind(flag), { name: 'fragile', routePrefix: '/fragile' });
    writeFileSync(flag, '');
    const r = await fetch(`${base}/fragile/crash`);
    t.ok(r.status >= 500, 'the crashed call is answered with an error');
    await r.arrayBuffer();
    await until('#problem-list', /fragile\/Fragile UNHEALTHY: .*cannot load the model/);
    t.match(await text('#problem-list'), /says it is broken/);
  });

  await t.test('with an admin token: the page loads without it and calls the API with the one in its URL fragment', async t => {
    const guarded = new AdminServer({ port: 0, token: 's3cret', deployer: new Deployer(serve) });
    const at = `http://127.0.0.1:${(await guarded.listen()).port}/dashboard`;
    t.teardown(() => guarded.close());
    t.equal((await fetch(`${at.replace('/dashboard', '')}/api/applications`)).status, 401, 'the API itself still needs the token');
    const other = await browser.newPage();
    other.setDefaultTimeout(60_000);
    t.teardown(() => other.close());
    await other.goto(at);
    await other.waitForFunction(() => !(globalThis as any).document.getElementById('banner').hidden);
    t.match(await other.locator('#banner').innerText(), /needs its token: open \/dashboard#token=/);
    await other.goto(`${at}#token=s3cret`);
    await other.waitForFunction(() => /calc\/Worker/.test((globalThis as any).document.querySelector('#deployments tbody').innerText));
    t.equal(new URL(other.url()).hash, '', 'the token leaves the address bar');
  });

  mkdirSync(SHOTS, { recursive: true });
  const shot = `${SHOTS}dashboard.png`;
  await page.screenshot({ path: shot, fullPage: true });
  t.comment(`screenshot: ${shot}`);
  t.same(consoleErrors, [], 'no console errors on the page');
});
