// The ID validator page in a real browser (Debian's Chromium through playwright-core): serves the app on a
// free port, types IDs as a clerk would, and checks what the page shows for each.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { Hono } from "hono";
import { chromium, type Browser, type Page } from "playwright-core";
import { createApp } from "../../src/http/app";

const CHROMIUM = "/usr/bin/chromium";
const WASM = new URL("../../wasm/build/rules.wasm", import.meta.url);
const SCREENSHOT = "/tmp/validator.png";

let server: ReturnType<typeof Bun.serve>;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the browser tests need Debian's Chromium. ` +
        "Install it with: apt-get update && apt-get install -y chromium",
    );
  }
  if (!existsSync(WASM)) throw new Error("wasm/build/rules.wasm not found: run `bun run build` first");
  // The app also mounted under a prefix, as a reverse proxy would serve it: the page uses relative URLs only.
  const app = createApp();
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: new Hono().route("/tools", app).route("/", app).fetch });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`${message.text()} (${message.location().url})`);
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.stop(true);
});

async function open(path: string): Promise<void> {
  await page.goto(new URL(path, server.url).href);
  await page.waitForSelector("form[data-state=ready]", { timeout: 10_000 });
}

type Row = { id: string; reason: string; text: string };

/** Replaces the textarea's content by typing `text` key by key, and returns the rows once they show `ids`. */
async function enter(text: string, ids: string[]): Promise<Row[]> {
  await page.fill("#ids", "");
  await page.locator("#ids").pressSequentially(text);
  await page.waitForFunction(
    (expected) => Array.from(document.querySelectorAll<HTMLElement>("#results li")).map((li) => li.dataset.id).join() === expected,
    ids.join(),
  );
  return page.$$eval("#results li", (rows) =>
    rows.map((li) => ({ id: li.dataset.id!, reason: li.dataset.reason!, text: li.textContent! })),
  );
}

const summary = () => page.textContent("#summary");

test("openg2p, length 10: the worked examples, checked as they are typed", async () => {
  await open("/validator/");
  expect(await page.inputValue("#type")).toBe("openg2p");
  expect(await page.inputValue("#length")).toBe("10");
  expect(await summary()).toBe("Type or paste IDs above.");

  const ids = ["7429689275", "7429689276", "5123947362"];
  const rows = await enter(ids.join("\n"), ids);
  expect(rows.map((row) => row.reason)).toEqual(["", "checksum", "sequence"]);
  expect(rows[0]?.text).toContain("✓ valid");
  expect(rows[1]?.text).toContain("✗ checksum");
  expect(rows[1]?.text).toContain("the last digit does not match — a digit was probably mistyped or two digits swapped");
  expect(rows[2]?.text).toContain("3 digits in a row count up or down");
  expect(await summary()).toBe("1 valid, 2 invalid");
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
}, 30_000);

test("IDs separated by commas and spaces; the invalid-only filter", async () => {
  await open("/validator/");
  const ids = ["7429689275", "5890147362", "5131749368", "5113749365", "2749358279"];
  const rows = await enter("7429689275, 5890147362 5131749368,5113749365  2749358279", ids);
  expect(rows.map((row) => row.reason)).toEqual(["", "", "", "repeating_digit", "repeating_block"]);
  expect(await summary()).toBe("3 valid, 2 invalid");
  await page.check("#invalid-only");
  expect(await page.$$eval("#results li", (rows) => rows.map((li) => li.dataset.id))).toEqual(["5113749365", "2749358279"]);
  expect(await summary()).toBe("3 valid, 2 invalid");
}, 30_000);

test("mosip-vid: 16 digits, restricted numbers; the choice is kept in the address", async () => {
  await open("/validator/");
  await page.selectOption("#type", "mosip-vid");
  expect(await page.isHidden("#length")).toBe(true);
  expect(new URL(page.url()).search).toBe("?type=mosip-vid");
  const ids = ["7429689275018362", "7429689275017867", "7429689275"];
  const rows = await enter(ids.join("\n"), ids);
  expect(rows.map((row) => row.reason)).toEqual(["", "restricted", "length"]);
  expect(rows[1]?.text).toContain("blocked number");
  expect(rows[2]?.text).toContain("exactly 16 digits; this one has 10");
}, 30_000);

test("?type= and a chosen length, under a path prefix", async () => {
  await open("/tools/validator?type=openg2p&length=11");
  expect(new URL(page.url()).pathname).toBe("/tools/validator/");
  expect(await page.inputValue("#length")).toBe("11");
  expect((await enter("86309690368", ["86309690368"]))[0]?.reason).toBe("first_equals_reverse_last");
  await page.fill("#length", "10");
  await page.waitForFunction(() => document.querySelector<HTMLElement>("#results li")?.dataset.reason === "length");
  await page.fill("#length", "40");
  await page.waitForFunction(() => document.querySelector("#length")?.getAttribute("aria-invalid") === "true");
  expect(await summary()).toBe("The length must be a whole number from 2 to 32.");
}, 30_000);

test("a phone-width screen, and no errors in the browser console", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await open("/validator/?type=openg2p");
  const ids = ["7429689275", "7429689276", "0582947364", "5123947362"];
  await enter(ids.join("\n"), ids);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: SCREENSHOT.replace(".png", "-phone.png"), fullPage: true });
  expect(pageErrors).toEqual([]);
}, 30_000);
