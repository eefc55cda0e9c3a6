// Swagger UI and GraphiQL used the way a person would, in Debian's Chromium, against a
// running demo server (tests/browser/run.sh starts it; DOSSIER_URL names it). Exits
// non-zero with a message naming the failed step. Requests to anything but the server
// are refused and fail the run, so both pages are shown to work offline.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.DOSSIER_URL;
const artifacts = process.env.DOSSIER_ARTIFACTS || '/tmp/dossier-ci-artifacts/browser';
const STEP_MS = 30_000;

if (!base) {
  console.error('FAIL: set DOSSIER_URL to the demo server, e.g. http://127.0.0.1:8080');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

class CheckFailed extends Error {}
function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

let current = 'setup';
let currentPage = null;
async function step(name, fn) {
  current = name;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`timed out after ${STEP_MS / 1000} s`)), STEP_MS);
  });
  try {
    await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
  console.log(`ok   ${name}`);
}

// --- the API, from outside the browser -------------------------------------------------

async function api(path, init = {}) {
  const response = await fetch(base + path, { ...init, signal: AbortSignal.timeout(STEP_MS) });
  const body = await response.text();
  check(response.ok, `${init.method || 'GET'} ${path} answered ${response.status}: ${body.slice(0, 300)}`);
  return JSON.parse(body);
}

async function signIn(email, password) {
  const body = await api('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  check(typeof body.access_token === 'string', `no access_token for ${email}`);
  return body.access_token;
}

async function newestCustomer(token) {
  const list = await api('/api/v1/customers?limit=1', {
    headers: { authorization: `Bearer ${token}` },
  });
  check(list.data?.length === 1, 'the demo has no customers');
  return list.data[0];
}

// --- the browser -------------------------------------------------------------------------

const external = [];
const problems = [];

async function newContext(browser) {
  const context = await browser.newContext({
    viewport: { width: 1400, height: 1000 },
    serviceWorkers: 'block',
  });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url === base || url.startsWith(`${base}/`)) return route.continue();
    external.push(url);
    return route.abort('blockedbyclient');
  });
  return context;
}

async function newPage(context, name) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${name}: uncaught error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) {
      problems.push(`${name}: ${m.text()}`);
    }
  });
  currentPage = page;
  return page;
}

async function screenshot(page, file) {
  const path = join(artifacts, file);
  await page.screenshot({ path });
  console.log(`     screenshot ${path}`);
}

// --- Swagger UI ----------------------------------------------------------------------------

async function executeCustomerList(page, customer) {
  const op = page.locator('#operations-customers-customers_list');
  if ((await op.locator('button.execute').count()) === 0) {
    await op.locator('.opblock-summary-control').click();
  }
  const tryOut = op.locator('button.try-out__btn', { hasText: 'Try it out' });
  if (await tryOut.isVisible()) await tryOut.click();
  await op.locator('tr[data-param-name="limit"] input').fill('5');
  await op.locator('button.execute').click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor();
  const code = (await status.textContent()).trim();
  const body = await op.locator('.live-responses-table .response-col_description pre').first().textContent();
  check(code === '200', `GET /api/v1/customers from Swagger UI answered ${code}: ${body.slice(0, 300)}`);
  check(
    body.includes(customer.display_name),
    `the response shown lacks the newest customer "${customer.display_name}": ${body.slice(0, 300)}`,
  );
  await status.scrollIntoViewIfNeeded();
}

async function swaggerUi(browser, token, customer) {
  const context = await newContext(browser);
  const page = await newPage(context, 'Swagger UI');
  await step('Swagger UI: /docs/ loads', async () => {
    await page.goto(`${base}/docs/`);
    await page.locator('.auth-wrapper button.authorize.unlocked').waitFor();
  });
  await step('Swagger UI: Authorize with a bearer token from POST /api/v1/auth/login', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('#auth-bearer-value').fill(token);
    await page.locator('.modal-ux button[aria-label="Apply credentials"]').click();
    await page.locator('.modal-ux button.btn-done').click();
    await page.locator('.auth-wrapper button.authorize.locked').waitFor();
  });
  await step(`Swagger UI: GET /api/v1/customers, Try it out, Execute → 200 with "${customer.display_name}"`, async () => {
    await executeCustomerList(page, customer);
    await screenshot(page, 'swagger-ui.png');
  });
  await step('Swagger UI: the authorisation survives a reload (still locked, Execute → 200)', async () => {
    await page.reload();
    await page.locator('.auth-wrapper button.authorize.locked').waitFor();
    await executeCustomerList(page, customer);
  });
  await context.close();
}

// --- GraphiQL ------------------------------------------------------------------------------

const editor = (page, selector) =>
  page.evaluate((s) => document.querySelector(s)?.CodeMirror?.getValue() ?? null, selector);
const HEADERS = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';
const QUERY = '.graphiql-query-editor .CodeMirror';
const RESULT = '.graphiql-response .CodeMirror';

async function storageOf(page) {
  return page.evaluate(() => ({
    local: JSON.stringify(Object.entries(localStorage)),
    localKeys: Object.keys(localStorage),
    tabs: sessionStorage.getItem('graphiql:tabState') || '',
  }));
}

async function graphiql(browser, token, customer) {
  const context = await newContext(browser);
  const page = await newPage(context, 'GraphiQL');
  await step('GraphiQL: /graphql loads GraphiQL under its Content-Security-Policy', async () => {
    const response = await page.goto(`${base}/graphql`);
    check(
      (response.headers()['content-security-policy'] || '').includes("script-src 'self'"),
      'the page has no Content-Security-Policy',
    );
    await page.locator('button.graphiql-execute-button').waitFor();
    await page.locator(HEADERS).waitFor();
    const query = await editor(page, QUERY);
    check(query?.includes('customers(first: 5)'), `the default query is not the customers one: ${query}`);
  });
  await step('GraphiQL: the bearer token goes into the headers editor', async () => {
    await page.locator(HEADERS).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2));
    const headers = await editor(page, HEADERS);
    check(headers?.includes(token), `the headers editor holds ${headers}`);
  });
  await step(`GraphiQL: run the default query → totalCount and "${customer.display_name}"`, async () => {
    await page.locator('button.graphiql-execute-button').click();
    await page.waitForFunction((s) => {
      const value = document.querySelector(s)?.CodeMirror?.getValue() ?? '';
      return value.includes('totalCount') || value.includes('"errors"');
    }, RESULT);
    const text = await editor(page, RESULT);
    const result = JSON.parse(text);
    check(!result.errors, `the query failed: ${text.slice(0, 400)}`);
    const { totalCount, edges } = result.data.customers;
    check(totalCount > 0, `totalCount is ${totalCount}`);
    check(
      edges.some((e) => e.node.displayName === customer.display_name),
      `the result lacks "${customer.display_name}": ${text.slice(0, 400)}`,
    );
    const shown = await page.locator('.graphiql-response').innerText();
    check(shown.includes(customer.display_name), 'the result pane does not show the customer');
    await screenshot(page, 'graphiql.png');
  });
  await step('GraphiQL: the token is in this tab\'s sessionStorage, nothing in localStorage', async () => {
    // GraphiQL saves its tabs (with their headers) half a second after an edit.
    await page
      .waitForFunction((t) => (sessionStorage.getItem('graphiql:tabState') || '').includes(t), token, {
        timeout: 5000,
      })
      .catch(() => {});
    const storage = await storageOf(page);
    check(!storage.local.includes(token), 'localStorage holds the token');
    check(storage.localKeys.length === 0, `localStorage holds ${storage.localKeys.join(', ')}`);
    check(storage.tabs.includes(token), `sessionStorage does not hold the tab's headers: ${storage.tabs.slice(0, 400)}`);
  });
  await step('GraphiQL: the headers survive a reload of the tab', async () => {
    await page.reload();
    await page.locator(HEADERS).waitFor();
    const headers = await editor(page, HEADERS);
    check(headers?.includes(token), `after a reload the headers editor holds ${headers}`);
  });
  await step('GraphiQL: a new tab starts without the token; ?query= fills the editor', async () => {
    const tab = await newPage(context, 'GraphiQL (new tab)');
    await tab.goto(`${base}/graphql?query=${encodeURIComponent('{ me { userId role } }')}`);
    await tab.locator(HEADERS).waitFor();
    const headers = await editor(tab, HEADERS);
    check(!headers?.includes(token), 'a new tab has the token of another');
    check(headers?.includes('<token from POST /api/v1/auth/login>'), `the placeholder is missing: ${headers}`);
    const query = await editor(tab, QUERY);
    check(query === '{ me { userId role } }', `?query= did not fill the editor: ${query}`);
    const storage = await storageOf(tab);
    check(!storage.local.includes(token) && storage.localKeys.length === 0, 'localStorage is not empty');
  });
  await context.close();
}

// --- the run -------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  timeout: STEP_MS,
});
let failed = false;
try {
  const admin = await signIn('admin@demo.dossier.test', 'demo-admin-password');
  const support = await signIn('support@demo.dossier.test', 'demo-support-password');
  await swaggerUi(browser, admin, await newestCustomer(admin));
  await graphiql(browser, support, await newestCustomer(support));
  current = 'offline';
  check(external.length === 0, `the pages tried to reach beyond the server: ${[...new Set(external)].join(', ')}`);
  check(problems.length === 0, `the pages reported: ${problems.join('; ')}`);
  console.log('ok   no request left the machine; no script error or CSP violation');
} catch (error) {
  failed = true;
  console.error(`FAIL: ${current}: ${error instanceof CheckFailed ? error.message : error.stack || error}`);
  if (currentPage && !currentPage.isClosed()) {
    await screenshot(currentPage, 'failure.png').catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
