// Drives Debian's Chromium over /docs (Swagger UI) and /redoc with playwright-core, as a
// person would: authorize with a secret key, run "Try it out" → Execute on GET /v1/prompts,
// and read the operations ReDoc rendered. Prints one JSON object with what it saw; the
// pytest test (tests/test_docs_browser.py) judges it.
//
//   node docs-check.mjs BASE_URL SECRET_KEY SCREENSHOT_PNG
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [baseUrl, secretKey, screenshot] = process.argv.slice(2);
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TIMEOUT = 30_000;

const userDataDir = mkdtempSync(join(tmpdir(), 'rapport-chromium-'));
const result = { docs: {}, redoc: {} };
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ARGS,
  viewport: { width: 1280, height: 900 },
});

function watch(page, into) {
  into.consoleErrors = [];
  into.failedRequests = [];
  page.on('console', (message) => {
    if (message.type() === 'error') into.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => into.consoleErrors.push(String(error)));
  page.on('requestfailed', (request) => into.failedRequests.push(request.url()));
}

try {
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page, result.docs);

  const docs = await page.goto(`${baseUrl}/docs`, { waitUntil: 'networkidle' });
  result.docs.status = docs.status();
  await page.locator('.swagger-ui .info .title').waitFor();
  result.docs.title = (await page.locator('.swagger-ui .info .title').innerText()).trim();
  result.docs.operations = await page.locator('.opblock').count();

  // Authorize with the secret key (the `apiKey` scheme), then close the dialog.
  await page.locator('.auth-wrapper button.authorize').click();
  const dialog = page.locator('.modal-ux');
  const apiKey = dialog.locator('.auth-container', { hasText: 'apiKey' });
  await apiKey.locator('input').fill(secretKey);
  await apiKey.locator('button.authorize').click();
  await apiKey.getByText('Authorized', { exact: true }).waitFor();
  result.docs.authorized = true;
  await apiKey.locator('button.btn-done').click();

  // Try it out → Execute on GET /v1/prompts.
  const operation = page.locator('#operations-catalog-listPrompts');
  await operation.locator('.opblock-summary').click();
  await operation.locator('button.try-out__btn').click();
  await operation.locator('button.execute').click();
  const status = operation.locator('.live-responses-table .response .response-col_status');
  await status.first().waitFor();
  result.docs.executeStatus = (await status.first().innerText()).trim();
  result.docs.responseBody = await operation
    .locator('.live-responses-table .response-col_description pre')
    .first()
    .innerText();
  // The picture for the README: the request Swagger UI sent, and the 200 it got back.
  const curl = operation.locator('.curl-command');
  await curl.evaluate((element) => element.scrollIntoView({ block: 'start' }));
  await page.evaluate(() => window.scrollBy(0, -60));
  await page.screenshot({ path: screenshot });

  // ReDoc renders every operation.
  const redocPage = await context.newPage();
  redocPage.setDefaultTimeout(TIMEOUT);
  watch(redocPage, result.redoc);
  const redoc = await redocPage.goto(`${baseUrl}/redoc`, { waitUntil: 'networkidle' });
  result.redoc.status = redoc.status();
  await redocPage.locator('[data-section-id^="operation/"]').first().waitFor();
  result.redoc.operations = await redocPage.locator('[data-section-id^="operation/"]').count();
  result.redoc.headings = await redocPage
    .locator('[data-section-id^="operation/"] h2')
    .allInnerTexts();
} catch (error) {
  result.error = String(error && error.stack ? error.stack : error);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + '\n');
