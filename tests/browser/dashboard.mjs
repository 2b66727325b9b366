// Headless-browser check of the `minqing serve` dashboard, driven by the Rust tests.
//
// The Rust test starts the server, then runs `node tests/browser/dashboard.mjs` with:
//   BASE_URL        e.g. http://127.0.0.1:41234 (required)
//   LOGIN_USER      LOGIN_PASSWORD (required)
//   CHROMIUM        Chromium executable, default /usr/bin/chromium (playwright-core never
//                   downloads a browser)
//   SHOTS           folder for screenshots, or empty for none
//   OUT             folder for the downloaded xlsx (default: a fresh temporary folder)
//
// It logs in, clicks the first bar of the town chart, checks the filtered case list, opens
// a case (no raw phone or ID numbers on the page), exports the list, and visits /hot and
// /risk. Any console error, uncaught page error or CSP violation fails the run: the pages
// must work under a CSP without inline script. On success it prints one JSON line on
// stdout and exits 0; on failure it prints the failed step on stderr and exits 1.
import { chromium } from 'playwright-core';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// Every Playwright action and wait gets this long. A whole step is capped at twice that,
// because page.evaluate() has no timeout of its own.
const TIMEOUT_MS = 15_000;
const STEP_LIMIT_MS = 2 * TIMEOUT_MS;

// A raw mainland mobile number, and an 18-character resident ID number. The pages must
// only ever show masked forms of these.
const MOBILE_RE = /(?<!\d)1[3-9]\d{9}(?!\d)/;
const ID_NUMBER_RE = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
const PERSON_HIDDEN = '不向承办单位显示';

function env(name, fallback) {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`environment variable ${name} is not set`);
}

function fail(message) {
  // Playwright colours its call logs; the Rust test output is plain text.
  process.stderr.write(`dashboard.mjs: FAIL: ${message.replace(/\x1b\[[0-9;]*m/g, '')}\n`);
  process.exit(1);
}

// Console errors, uncaught exceptions and CSP violations seen so far (see watchPageErrors).
const pageErrors = [];

// Runs one named step; any error (or exceeding the step limit) is reported with its name,
// together with the page errors seen so far: a timeout is often caused by one of them
// (a script that failed to load, an exception in app.js).
async function step(name, fn) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step took longer than ${STEP_LIMIT_MS} ms`)), STEP_LIMIT_MS);
  });
  try {
    return await Promise.race([fn(), limit]);
  } catch (e) {
    const seen = pageErrors.length && !e.pageErrorsListed ? `\n${describePageErrors()}` : '';
    throw new Error(`step "${name}": ${e.message}${seen}`, { cause: e });
  } finally {
    clearTimeout(timer);
  }
}

// Collects console errors, uncaught exceptions and CSP violations of the page. Chromium
// reports CSP violations and failed sub-resource loads as console errors; the
// securitypolicyviolation listener is a second net that names the blocked directive.
async function watchPageErrors(page) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location();
    // Chromium asks for /favicon.ico on its own; a 404 there is not the page's fault.
    if (loc.url && new URL(loc.url).pathname === '/favicon.ico') return;
    pageErrors.push(`console error on ${page.url()}: ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
  });
  page.on('pageerror', (err) => pageErrors.push(`uncaught error on ${page.url()}: ${err.message}`));
  await page.exposeBinding('__minqingCspViolation', (_source, v) =>
    pageErrors.push(`CSP violation on ${v.page}: ${v.directive} blocked ${v.blocked || 'inline code'}`));
  // Init scripts are injected by the browser, so the CSP does not block them.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__minqingCspViolation({ page: location.pathname, directive: e.violatedDirective, blocked: e.blockedURI });
    });
  });
}

function describePageErrors() {
  const shown = pageErrors.slice(0, 8).join('\n  ');
  const more = pageErrors.length > 8 ? `\n  ... and ${pageErrors.length - 8} more` : '';
  return `${pageErrors.length} page error(s):\n  ${shown}${more}`;
}

function assertNoPageErrors() {
  if (!pageErrors.length) return;
  throw Object.assign(new Error(describePageErrors()), { pageErrorsListed: true });
}

const pathOf = (page) => new URL(page.url()).pathname;

// Waits for a navigation that `action` triggers, until the URL satisfies `accept`
// (described by `expected` in the error message).
async function navigate(page, expected, accept, action) {
  try {
    await Promise.all([page.waitForURL((u) => accept(u), { waitUntil: 'load' }), action()]);
  } catch (e) {
    throw new Error(`expected to reach ${expected}, but the page is at ${page.url()}: ${e.message}`, { cause: e });
  }
}

async function expectHeading(page, word) {
  const h1 = (await page.locator('h1').first().innerText()).trim();
  if (!h1.includes(word)) throw new Error(`h1 of ${pathOf(page)} is "${h1}", expected it to contain "${word}"`);
}

// Fails when the visible page text holds a raw mobile number or ID number.
async function expectNoRawPii(page) {
  const text = await page.evaluate(() => document.body.innerText);
  for (const [what, re] of [['mobile number', MOBILE_RE], ['ID number', ID_NUMBER_RE]]) {
    const m = text.match(re);
    if (m) throw new Error(`page ${pathOf(page)} shows a raw ${what}: ${m[0]}`);
  }
}

// Waits until every `.chart` div on the page has an ECharts instance with data, then
// until its (entry) animation is over, so screenshots and clicks see the final bars.
async function waitForCharts(page) {
  const drawn = page.waitForFunction(() => {
    const divs = [...document.querySelectorAll('.chart')];
    return divs.every((el) => {
      const chart = window.echarts && window.echarts.getInstanceByDom(el);
      const opt = chart && chart.getOption();
      return !!(opt && opt.series && opt.series.length);
    });
  }, null, { timeout: TIMEOUT_MS, polling: 100 });
  await drawn.catch(async (e) => {
    const ids = await page.evaluate(() => [...document.querySelectorAll('.chart')]
      .filter((el) => !(window.echarts && window.echarts.getInstanceByDom(el)))
      .map((el) => '#' + el.id));
    throw new Error(`charts not drawn (no ECharts instance on ${ids.join(', ') || '?'}): ${e.message}`);
  });
  // getZr().animation is not in the documented API; without it, just go on.
  await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((el) => {
    const zr = window.echarts.getInstanceByDom(el).getZr?.();
    return !zr || !zr.animation || zr.animation.isFinished();
  }), null, { timeout: TIMEOUT_MS, polling: 100 });
}

async function screenshot(page, shotsDir, name, written) {
  if (!shotsDir) return;
  const file = path.join(shotsDir, name);
  await page.screenshot({ path: file, fullPage: true });
  written.push(file);
}

// Finds the first bar of the town chart with a positive value (category 0 unless it is
// empty: a zero-height bar cannot be clicked) and where to click it: the middle of the
// bar, (index, value / 2) in data coordinates, which convertToPixel turns into pixels
// relative to the chart div.
async function firstTownBar(page) {
  const selector = '#chart-towns';
  await page.locator(`${selector} canvas`).first().waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => {
    const chart = window.echarts && window.echarts.getInstanceByDom(document.querySelector(sel));
    const data = chart && chart.getOption().xAxis?.[0]?.data;
    return Array.isArray(data) && data.length > 0;
  }, selector, { timeout: TIMEOUT_MS, polling: 100 });
  await waitForCharts(page);
  const bar = await page.evaluate((sel) => {
    const chart = window.echarts.getInstanceByDom(document.querySelector(sel));
    const opt = chart.getOption();
    // Categories and values may be plain or wrapped as {value: ...}.
    const unwrap = (d) => (d !== null && typeof d === 'object' && 'value' in d ? d.value : d);
    const names = opt.xAxis[0].data.map(unwrap);
    const values = (opt.series[0].data || []).map(unwrap).map(Number);
    const index = values.findIndex((v) => v > 0);
    if (index < 0) return { error: `no bar with a positive value (values: ${JSON.stringify(values)})` };
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [index, values[index] / 2]);
    return { index, town: String(names[index]), value: values[index], x, y };
  }, selector);
  if (bar.error) throw new Error(bar.error);
  // The chart may be below the fold; mouse coordinates are relative to the viewport.
  await page.locator(selector).scrollIntoViewIfNeeded();
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { ...bar, pageX: box.x + bar.x, pageY: box.y + bar.y };
}

async function main() {
  const base = env('BASE_URL').replace(/\/+$/, '');
  const user = env('LOGIN_USER');
  const password = env('LOGIN_PASSWORD');
  const executablePath = env('CHROMIUM', '/usr/bin/chromium');
  const shotsDir = process.env.SHOTS || '';
  const outDir = env('OUT', '') || (await fs.mkdtemp(path.join(os.tmpdir(), 'minqing-browser-')));
  if (shotsDir) await fs.mkdir(shotsDir, { recursive: true });
  await fs.mkdir(outDir, { recursive: true });

  const shots = [];
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: TIMEOUT_MS,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      locale: 'zh-CN',
      // Lets app.js skip chart animations if it honours prefers-reduced-motion.
      reducedMotion: 'reduce',
    });
    context.setDefaultTimeout(TIMEOUT_MS);
    context.setDefaultNavigationTimeout(TIMEOUT_MS);
    const page = await context.newPage();
    await watchPageErrors(page);

    await step('a. log in', async () => {
      const res = await page.goto(`${base}/login`);
      if (!res || !res.ok()) throw new Error(`GET /login answered ${res && res.status()}`);
      await page.locator('input[name=user]').fill(user);
      await page.locator('input[name=password]').fill(password);
      await navigate(page, '/ after logging in', (u) => u.pathname === '/',
        () => page.locator('button[type=submit]').click());
      await expectHeading(page, '总览');
      await waitForCharts(page);
      await expectNoRawPii(page);
      assertNoPageErrors();
      await screenshot(page, shotsDir, 'overview.png', shots);
    });

    const town = await step('b. click the first bar of #chart-towns', async () => {
      const bar = await firstTownBar(page);
      await navigate(page, `/cases?town=${bar.town} by clicking at (${Math.round(bar.x)}, ${Math.round(bar.y)}) in the chart`,
        (u) => u.pathname === '/cases',
        () => page.mouse.click(bar.pageX, bar.pageY));
      const got = new URL(page.url()).searchParams.get('town');
      if (got !== bar.town) throw new Error(`clicked bar "${bar.town}" but landed on ${page.url()} (town=${JSON.stringify(got)})`);
      assertNoPageErrors();
      return bar.town;
    });

    const { rows, total } = await step('c. case list filtered by town', async () => {
      await expectHeading(page, '案件');
      const rowsLoc = page.locator('#case-list tbody tr');
      await rowsLoc.first().waitFor({ state: 'visible' }).catch(() => {
        throw new Error(`#case-list has no body rows for town "${town}"`);
      });
      const towns = await rowsLoc.evaluateAll((trs) =>
        trs.map((tr) => tr.querySelector('td[data-col=region_town]')?.innerText.trim() ?? null));
      towns.forEach((t, i) => {
        if (t !== town) throw new Error(`row ${i + 1} has region_town ${JSON.stringify(t)}, expected "${town}"`);
      });
      const totalText = (await page.locator('#case-total').innerText()).trim();
      if (!/^\d+$/.test(totalText)) throw new Error(`#case-total is "${totalText}", not an integer`);
      const total = Number(totalText);
      if (total < towns.length) throw new Error(`#case-total is ${total} but the list shows ${towns.length} rows`);
      await expectNoRawPii(page);
      assertNoPageErrors();
      await screenshot(page, shotsDir, 'cases.png', shots);
      return { rows: towns.length, total };
    });

    const caseUrl = await step('d. open the first case', async () => {
      await navigate(page, 'a /case/... page', (u) => u.pathname.startsWith('/case/'),
        () => page.locator('#case-list tbody tr a.case-link').first().click());
      await page.locator('#case-detail').waitFor({ state: 'visible' });
      const person = (await page.locator('#case-detail [data-field=person]').first().innerText()).trim();
      if (!person.includes('*') && person !== PERSON_HIDDEN) {
        throw new Error(`[data-field=person] is "${person}": neither a masked key (with *) nor "${PERSON_HIDDEN}"`);
      }
      await expectNoRawPii(page);
      assertNoPageErrors();
      await screenshot(page, shotsDir, 'case.png', shots);
      return pathOf(page);
    });

    const xlsx = await step('e. export the list as xlsx', async () => {
      await navigate(page, '/cases by going back', (u) => u.pathname === '/cases', () => page.goBack());
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('a#export-xlsx').click(),
      ]);
      const file = path.join(outDir, 'cases.xlsx');
      await download.saveAs(file);
      const failure = await download.failure();
      if (failure) throw new Error(`download failed: ${failure}`);
      // An xlsx is a zip: an error page saved under that name would not start with PK\3\4.
      const head = (await fs.readFile(file)).subarray(0, 4);
      if (!head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
        throw new Error(`${file} is not an xlsx (zip) file; it starts with ${JSON.stringify(head.toString('latin1'))}`);
      }
      assertNoPageErrors();
      return file;
    });

    for (const [route, word, shot] of [['/hot', '热点', 'hot.png'], ['/risk', '风险', 'risk.png']]) {
      await step(`f. visit ${route}`, async () => {
        const res = await page.goto(`${base}${route}`);
        if (!res || !res.ok()) throw new Error(`GET ${route} answered ${res && res.status()}`);
        await expectHeading(page, word);
        await waitForCharts(page);
        await expectNoRawPii(page);
        assertNoPageErrors();
        await screenshot(page, shotsDir, shot, shots);
      });
    }

    process.stdout.write(JSON.stringify({ town, rows, total, case_url: caseUrl, xlsx, shots }) + '\n');
  } finally {
    await browser.close().catch(() => {});
  }
}

main().then(() => process.exit(0), (e) => fail(e.message));
