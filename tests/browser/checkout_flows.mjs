// The hosted checkout in a real browser: Debian's chromium (never a downloaded one) driven by
// playwright-core, 390 px wide as on a phone. Each flow starts at make run's /checkout/new, which
// opens a fresh checkout and redirects to its hosted page, and ends on make run's own success or
// cancel page, whose status is what GetPaymentStatus answered.
//
//   node checkout_flows.mjs PAGES_URL SCREENSHOT_DIR   -> one JSON line: {flow: {url, status, ...}}
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [pagesUrl, screenshots] = process.argv.slice(2);
// headless: true adds --headless, and launchPersistentContext's folder (fresh, removed at the
// end) is the --user-data-dir; the rest keeps chromium quiet and off the network.
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TIMEOUT_MS = 15000;

async function openCheckout(page) {
  await page.goto(`${pagesUrl}/checkout/new`);
  await page.getByRole("button", { name: /^Pay \d/ }).waitFor();
}

async function landing(page, path) {
  await page.waitForURL((url) => url.href.startsWith(`${pagesUrl}${path}`));
  return {
    url: page.url(),
    heading: await page.locator("h1").innerText(),
    status: await page.getByTestId("status").innerText(),
  };
}

async function pay(page) {
  await openCheckout(page);
  await page.screenshot({ path: join(screenshots, "hosted-page-390.png"), fullPage: true });
  await page.getByRole("button", { name: /^Pay \d/ }).click();
  return landing(page, "/checkout/success");
}

async function declineThenPay(page) {
  await openCheckout(page);
  await page.getByRole("button", { name: "Pay with a declined card" }).click();
  await page.getByRole("alert").waitFor();
  const declined = { url: page.url(), notice: await page.getByRole("alert").innerText() };
  await page.screenshot({ path: join(screenshots, "declined-390.png"), fullPage: true });
  await page.reload(); // POST/redirect/GET: a refresh shows the page again, submits nothing
  const afterReload = await page.getByRole("alert").innerText();
  await page.getByRole("button", { name: /^Pay \d/ }).click();
  return { declined, afterReload, ...(await landing(page, "/checkout/success")) };
}

async function cancel(page) {
  await openCheckout(page);
  await page.getByRole("button", { name: /Cancel/ }).click();
  const result = await landing(page, "/checkout/cancel");
  await page.screenshot({ path: join(screenshots, "cancelled-390.png"), fullPage: true });
  return result;
}

async function main() {
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport: { width: 390, height: 844 },
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  const results = {};
  try {
    for (const [name, flow] of Object.entries({ pay, declineThenPay, cancel })) {
      const page = await context.newPage();
      results[name] = await flow(page);
      results[name].pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.close();
    }
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results));
}

await main();
