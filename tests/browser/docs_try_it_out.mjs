// The HTTP door's /docs (Swagger UI) in a real browser, as a person uses it: "Try it out" on
// CreateCustomer and Execute, first without a key, then after giving it to "Authorize".
//
//   node docs_try_it_out.mjs HTTP_URL API_KEY SCREENSHOT_DIR
//     -> one JSON line: {withoutKey: {status, body}, withKey: {...}, offLoopback, errors}
import { join } from "node:path";
import { withChromium } from "./chromium.mjs";

const [httpUrl, apiKey, screenshots] = process.argv.slice(2);

async function execute(operation) {
  await operation.getByRole("button", { name: "Execute" }).click();
  const response = operation.locator(".live-responses-table .response").first();
  await response.waitFor();
  return {
    status: (await response.locator(".response-col_status").innerText()).trim(),
    body: await response.locator(".response-col_description pre").first().innerText(),
  };
}

async function authorize(page) {
  await page.locator("button.authorize").first().click();
  const scheme = page.locator(".modal-ux .auth-container").filter({ hasText: "ApiKeyAuth" });
  await scheme.getByLabel("Value").fill(apiKey);
  await scheme.getByRole("button", { name: "Apply credentials" }).click();
  await scheme.locator("button", { hasText: "Logout" }).waitFor(); // the key is taken
  await scheme.getByRole("button", { name: "Close" }).click();
}

async function tryCreateCustomer(page) {
  await page.goto(`${httpUrl}/docs`);
  const operation = page.locator("#operations-PaymentService-CreateCustomer");
  await operation.locator(".opblock-summary").first().click();
  await operation.getByRole("button", { name: "Try it out" }).click();
  const withoutKey = await execute(operation);
  await operation.getByRole("button", { name: "Clear" }).click(); // so that no answer is read twice
  await authorize(page);
  const withKey = await execute(operation);
  const shown = operation.locator(".responses-inner").first();
  await shown.screenshot({ path: join(screenshots, "docs-try-it-out.png") });
  return { withoutKey, withKey };
}

async function main() {
  const result = await withChromium({ width: 1280, height: 900 }, async (context, offLoopback) => {
    const page = await context.newPage();
    const errors = []; // scripts that failed, and what the page's policy refused
    page.on("pageerror", (error) => errors.push(String(error)));
    page.on("console", (message) => {
      if (/Content Security Policy/i.test(message.text())) errors.push(message.text());
    });
    const flows = await tryCreateCustomer(page);
    return { ...flows, offLoopback, errors };
  });
  console.log(JSON.stringify(result));
}

await main();
