// Debian's chromium (never a downloaded one) driven by playwright-core, for the browser tests'
// scripts: a fresh profile removed at the end, and no request leaving loopback. Every request a
// page makes to another host is refused and noted in `offLoopback`, for the test to fail on.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

// headless: true adds --headless, and launchPersistentContext's folder is the --user-data-dir;
// the rest keeps chromium quiet and off the network.
const FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const TIMEOUT_MS = 15000;

// Runs `use(context, offLoopback)` in a new browser and closes it whatever happens.
export async function withChromium(viewport, use) {
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    viewport,
  });
  context.setDefaultTimeout(TIMEOUT_MS);
  const offLoopback = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === "127.0.0.1") return route.continue();
    offLoopback.push(url.href);
    return route.abort("blockedbyclient");
  });
  try {
    return await use(context, offLoopback);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
