// The hosted checkout in a real browser (chromium.mjs: Debian's chromium driven by
// playwright-core, never off loopback), 390 px wide as on a phone. Each flow starts at make run's
// /checkout/new, which opens a fresh checkout and redirects to its hosted page, and ends on make
// run's own success or cancel page, whose status is what GetPaymentStatus answered.
//
//   node checkout_flows.mjs PAGES_URL SCREENSHOT_DIR
//     -> one JSON line: {flows: {flow: {url, status, ...}}, offLoopback}
import { join } from "node:path";
import { withChromium } from "./chromium.mjs";

const [pagesUrl, screenshots] = process.argv.slice(2);

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
  const result = await withChromium({ width: 390, height: 844 }, async (context, offLoopback) => {
    const flows = {};
    for (const [name, flow] of Object.entries({ pay, declineThenPay, cancel })) {
      const page = await context.newPage();
      flows[name] = await flow(page);
      flows[name].pageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.close();
    }
    return { flows, offLoopback };
  });
  console.log(JSON.stringify(result));
}

await main();
