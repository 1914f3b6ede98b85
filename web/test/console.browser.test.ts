/// <reference lib="dom" />
/**
 * The owner's web console in a real browser (Debian's Chromium through playwright-core), served by
 * the Hosting emulator on the emulators the harness started: every figure the page shows is
 * checked against the ledger, read with the Admin SDK. The tests run in order, as one owner's
 * session: sign in, create an agent, test it in development and production, watch a message sent
 * from elsewhere arrive, analytics and export, settings, a refusal over the limit, alerts.
 * Screenshots of the main pages go to docs/screenshots/.
 */
import * as fs from "node:fs";
import { parse } from "csv-parse/sync";
import { Timestamp } from "firebase-admin/firestore";
import { getAuth, signInWithEmailAndPassword } from "firebase/auth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createBillingClient } from "../../client/src";
import { quoteMessage } from "../../functions/src/domain/message-quote";
import { ledgerRowOf, trafficOf, writeRows } from "../../scripts/seed-traffic";
import {
  adminDb,
  CONSOLE_URL,
  connectedWebApp,
  localSigningKey,
  signUpUser,
  USER_PASSWORD,
  type SignedUpUser,
} from "../../scripts/local-env";
import { formatUsd, parseUsd } from "../src/shared/format";
import { launchBrowser, screenshot } from "./browser";

jest.setTimeout(120_000);

let browser: Browser;
let context: BrowserContext;
let page: Page;
let owner: SignedUpUser;
let agentId: string;
const consoleLines: string[] = [];
const pageErrors: string[] = [];

interface Row {
  id: string;
  costMicros: number;
  shadowCostMicros: number;
  billable: boolean;
  conversationId: string;
  localDay: string;
  model: string;
}

/** The agent's ledger rows, read with the Admin SDK. */
async function ledger(filter: (row: Row) => boolean = () => true): Promise<Row[]> {
  const snap = await adminDb().collection("billable_conversations").where("agentId", "==", agentId).get();
  return snap.docs.map((d) => ({ id: d.id, ...(d.data() as Omit<Row, "id">) })).filter(filter);
}
const billedSum = (rows: Row[]) => rows.filter((r) => r.billable).reduce((sum, r) => sum + r.costMicros, 0);

/** The micros a figure (found by its label) shows, once it shows `expected`; fails with what it showed. */
async function waitForFigure(label: string, expected: number, timeout = 30_000): Promise<void> {
  const figure = page.getByRole("group", { name: label, exact: true });
  const until = Date.now() + timeout;
  let shown: number | null = null;
  while (Date.now() < until) {
    shown = parseUsd((await figure.locator(".figure-value").textContent()) ?? "");
    if (shown === expected) return;
    await page.waitForTimeout(200);
  }
  throw new Error(`figure "${label}" shows ${shown === null ? "nothing" : formatUsd(shown)}, expected ${formatUsd(expected)}`);
}

async function figureText(label: string): Promise<string> {
  return (await page.getByRole("group", { name: label, exact: true }).locator(".figure-value").textContent()) ?? "";
}

/** Switches the testing screen to production through its confirmation. */
async function confirmProduction(): Promise<void> {
  await page.getByLabel("Production: billed to you").click();
  const dialog = page.getByRole("dialog", { name: "Switch to production billing?" });
  await dialog.getByText("Worst case of the next message").waitFor();
  await dialog.getByRole("button", { name: "Start billing in production" }).click();
  await page.getByText("PRODUCTION · BILLED").waitFor();
}

async function sendFromPage(message: string): Promise<void> {
  await page.getByLabel("Message", { exact: true }).fill(message);
  await page.getByRole("button", { name: /^Send/ }).click();
}

beforeAll(async () => {
  owner = await signUpUser("console");
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.on("console", (msg) => consoleLines.push(msg.text()));
  page.on("pageerror", (err) => pageErrors.push(err.message));
});

afterEach(() => {
  // An uncaught error in the page fails the test it happened in.
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
});

describe("the owner's web console", () => {
  it("signs in with email and password", async () => {
    await page.goto(CONSOLE_URL);
    await page.getByRole("heading", { name: "Agent billing console" }).waitFor();
    await screenshot(page, "sign-in");
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").getByText("Wrong email or password.").waitFor();
    await page.getByLabel("Password").fill(USER_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Agents" }).waitFor();
    await page.getByText(owner.email).waitFor();
  });

  it("creates an agent, which appears in the list live", async () => {
    await page.getByLabel("Name").fill("Browser support agent");
    await page.getByLabel("Model").fill("gpt-4");
    await page.getByRole("button", { name: "Create agent" }).click();
    await page.getByRole("row", { name: /Agent Browser support agent/ }).waitFor();
    // Shown at once (the web SDK's local write); the status says when the backend has stored it.
    await page.getByRole("status").getByText('Created agent "Browser support agent"').waitFor();
    const agents = await adminDb().collection("alchemist_agents").where("userId", "==", owner.uid).get();
    expect(agents.docs.map((d) => d.data())).toEqual([
      expect.objectContaining({ name: "Browser support agent", model: "gpt-4", status: "active" }),
    ]);
    agentId = agents.docs[0].id;
    // A week of earlier traffic, signed as sendMessage signs it, for the analytics screen.
    const key = localSigningKey();
    const history = trafficOf({
      agentId,
      userId: owner.uid,
      timezone: "UTC",
      until: new Date(),
      days: 7,
      perDay: 4,
      developmentShare: 0.25,
    });
    await writeRows(
      adminDb(),
      history.map((m) => ledgerRowOf(m, key)),
      8,
    );
  });

  it("pauses and resumes the agent through setAgentStatus", async () => {
    const row = page.getByRole("row", { name: /Agent Browser support agent/ });
    await row.getByRole("button", { name: "Pause Browser support agent" }).click();
    await row.getByText("Paused", { exact: true }).waitFor();
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("status")).toBe("paused");
    await row.getByRole("button", { name: "Resume Browser support agent" }).click();
    await row.getByText("Active", { exact: true }).waitFor();
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("status")).toBe("active");
  });

  it("shows a development message as free, with what it would cost, and logs calls under DEBUG_BILLING", async () => {
    await page.evaluate(() => localStorage.setItem("DEBUG_BILLING", "true"));
    await page
      .getByRole("row", { name: /Agent Browser support agent/ })
      .getByRole("link", { name: "Test" })
      .click();
    await page.getByText("DEVELOPMENT · FREE").waitFor();
    await sendFromPage("Hello! Can you check the staging order flow? [[tokens:20]]");
    const cost = page.locator(".cost-free").last();
    await cost.waitFor();
    const rows = await ledger((r) => !r.billable && r.conversationId.startsWith("console-"));
    expect(rows).toHaveLength(1);
    expect(await cost.textContent()).toBe(`free, would cost ${formatUsd(rows[0].shadowCostMicros)}`);
    expect(rows[0].costMicros).toBe(0);
    expect(consoleLines.some((line) => line.startsWith("[billing] sendMessage ok"))).toBe(true);
    await page.evaluate(() => localStorage.removeItem("DEBUG_BILLING"));
    await screenshot(page, "testing-development");
  });

  it("asks before production, showing the backend's worst case, then bills: the session cost equals the ledger's", async () => {
    await page.getByLabel("Max reply tokens").fill("256");
    await page.getByLabel("Production: billed to you").click();
    const dialog = page.getByRole("dialog", { name: "Switch to production billing?" });
    await dialog.getByText("Worst case of the next message").waitFor();
    const expected = quoteMessage({ model: "gpt-4" }, "", 256).worstCaseMicros!;
    await expect(dialog.getByText(formatUsd(expected), { exact: true }).count()).resolves.toBe(1);
    await expect(dialog.getByText("no limit set").count()).resolves.toBeGreaterThan(0);
    await screenshot(page, "testing-production-confirm");
    await dialog.getByRole("button", { name: "Start billing in production" }).click();
    await page.getByText("PRODUCTION · BILLED").waitFor();
    await sendFromPage("Where can I download last month's invoice? [[tokens:40]]");
    const billed = page.locator(".cost-billed").last();
    await billed.waitFor();
    const conversationId = (await page.locator(".sidebar code").textContent())!;
    const rows = await ledger((r) => r.conversationId === conversationId);
    expect(rows).toHaveLength(1);
    expect(await billed.textContent()).toBe(`${formatUsd(rows[0].costMicros)} billed`);
    await waitForFigure("Session cost", billedSum(rows));
    await screenshot(page, "testing-production");
  });

  it("shows a message sent through the SDK from elsewhere in the live figures, without a reload", async () => {
    const conversationId = (await page.locator(".sidebar code").textContent())!;
    expect(await figureText("Session messages")).toBe("1");
    const app = connectedWebApp(`outside-${owner.uid}`);
    await signInWithEmailAndPassword(getAuth(app), owner.email, USER_PASSWORD);
    const outside = createBillingClient({ app });
    const sent = await outside.sendMessage({ agentId, conversationId, message: "And as a PDF? [[tokens:25]]", testMode: "production" });
    expect(sent.billable).toBe(true);
    const rows = await ledger((r) => r.conversationId === conversationId);
    expect(rows).toHaveLength(2);
    await waitForFigure("Session cost", billedSum(rows));
    expect(await figureText("Session messages")).toBe("2");
    const today = rows[0].localDay;
    await waitForFigure("Billed today", billedSum(await ledger((r) => r.localDay === today)));
  });

  it("says when the agent fails, and bills nothing", async () => {
    const before = (await ledger()).length;
    await sendFromPage("Please fail [[fail:500]]");
    await page.getByRole("alert").filter({ hasText: "Agent failure" }).waitFor({ timeout: 60_000 });
    expect((await ledger()).length).toBe(before);
  });

  it("renders the analytics chart, whose totals equal the ledger's", async () => {
    await page
      .getByRole("navigation", { name: /screens/ })
      .getByRole("link", { name: "Analytics" })
      .click();
    const chart = page.getByRole("img", { name: /^Cost per day by mode/ });
    await chart.waitFor();
    await chart.locator(".recharts-bar-rectangle").first().waitFor();
    const from = await page.getByLabel("From", { exact: true }).inputValue();
    const to = await page.getByLabel("To", { exact: true }).inputValue();
    const inRange = (r: Row) => r.localDay >= from && r.localDay <= to;
    const expected = billedSum(await ledger(inRange));
    // The seeded week is rolled up by the trigger: the figures follow once it has caught up.
    const until = Date.now() + 60_000;
    for (;;) {
      const shown = parseUsd(await figureText("Billed in range"));
      if (shown === expected) break;
      if (Date.now() > until) throw new Error(`analytics shows ${shown}, the ledger has ${expected}`);
      await page.waitForTimeout(500);
      // Asking again: the page reads analytics on demand, not live.
      await page.getByLabel("Period").selectOption("week");
      await page.getByLabel("Period").selectOption("day");
    }
    await waitForFigure("Billed in range", expected);
    const label = (await chart.getAttribute("aria-label")) ?? "";
    expect(parseUsd(label.split("Production (billed)")[1] ?? "")).toBe(expected);
    // Cost by model: each model's total in the chart equals its rows in the ledger.
    const byModel = (await page.getByRole("img", { name: /^Billed cost per day by model/ }).getAttribute("aria-label")) ?? "";
    const rows = (await ledger(inRange)).filter((r) => r.billable);
    const models = [...new Set(rows.map((r) => r.model))];
    expect(models.length).toBeGreaterThan(0);
    for (const model of models) {
      const shown = byModel.split(`${model} `)[1] ?? "";
      expect(parseUsd(shown)).toBe(billedSum(rows.filter((r) => r.model === model)));
    }
    expect(await page.locator(".timezone").textContent()).toContain("Days in UTC");
    await screenshot(page, "analytics");
  });

  it("downloads the CSV export, which parses and matches the ledger", async () => {
    const from = await page.getByLabel("From", { exact: true }).inputValue();
    const to = await page.getByLabel("To", { exact: true }).inputValue();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export CSV" }).click()]);
    expect(download.suggestedFilename()).toBe(`billing-${agentId}-${from}-${to}.csv`);
    const records = parse(fs.readFileSync((await download.path())!, "utf8"), { columns: true }) as Record<string, string>[];
    const rows = await ledger((r) => r.localDay >= from && r.localDay <= to);
    expect(records.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const record of records) expect(Number(record.costMicros)).toBe(byId.get(record.id)!.costMicros);
    expect(records.reduce((sum, r) => sum + (r.billable === "true" ? Number(r.costMicros) : 0), 0)).toBe(billedSum(rows));
  });

  it("pages the history", async () => {
    const history = page.getByRole("region", { name: "History" });
    await history.getByText("Page 1", { exact: true }).waitFor();
    await history.getByRole("button", { name: "Older" }).click();
    await history.getByText("Page 2", { exact: true }).waitFor();
    expect(await history.locator("tbody tr").count()).toBeGreaterThan(0);
    await history.getByRole("button", { name: "Newer" }).click();
    await history.getByText("Page 1", { exact: true }).waitFor();
  });

  it("refuses a negative limit at the field, with the backend's message", async () => {
    await page
      .getByRole("navigation", { name: /screens/ })
      .getByRole("link", { name: "Settings" })
      .click();
    const daily = page.getByLabel("Daily limit (USD)");
    await daily.fill("-5");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Daily limit (USD): must not be negative", { exact: true }).waitFor();
    expect(await daily.getAttribute("aria-invalid")).toBe("true");
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("billing")).toBeUndefined();
    await screenshot(page, "settings-error");
    await daily.fill("0.01");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("billing.dailyLimitMicros")).toBe(10_000);
  });

  it("shows the refusal of a message over the limit, and bills nothing", async () => {
    await page
      .getByRole("navigation", { name: /screens/ })
      .getByRole("link", { name: "Testing" })
      .click();
    await page.getByLabel("Max reply tokens").fill("256");
    await confirmProduction();
    const before = (await ledger()).length;
    await sendFromPage("One more question [[tokens:10]]");
    await page.getByRole("alert").filter({ hasText: "Limit reached" }).waitFor();
    await page.getByText("daily spending limit").waitFor();
    expect((await ledger()).length).toBe(before);
    await screenshot(page, "testing-limit-reached");
  });

  it("lists the agent's alerts", async () => {
    await adminDb()
      .doc(`billing_alerts/${agentId}:daily-cost:2026-01-01`)
      .set({
        agentId,
        userId: owner.uid,
        kind: "daily-cost",
        window: "2026-01-01",
        figures: { costMicros: 12_340_000, thresholdMicros: 10_000_000 },
        createdAt: Timestamp.now(),
        delivery: { mail: "queued", webhook: "not-configured", attempts: 0, pending: false, leaseUntil: 0 },
      });
    await page
      .getByRole("navigation", { name: /screens/ })
      .getByRole("link", { name: "Alerts" })
      .click();
    await page.getByText("Daily cost over the threshold").waitFor();
    await page.getByText("costMicros: $12.34").waitFor();
    await screenshot(page, "alerts");
  });

  it("works at a phone's width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page
      .getByRole("navigation", { name: /screens/ })
      .getByRole("link", { name: "Testing" })
      .click();
    await page.getByText("DEVELOPMENT · FREE").waitFor();
    await page.getByRole("group", { name: "Billed today", exact: true }).getByText("limit").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "testing-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("refuses production for an unpriced model in the confirmation", async () => {
    await page.getByRole("link", { name: "Agents", exact: true }).click();
    await page.getByLabel("Name").fill("Unpriced agent");
    await page.getByLabel("Model").fill("my-own-model");
    await page.getByRole("button", { name: "Create agent" }).click();
    await page
      .getByRole("row", { name: /Agent Unpriced agent/ })
      .getByRole("link", { name: "Test" })
      .click();
    await page.getByLabel("Production: billed to you").click();
    const dialog = page.getByRole("dialog", { name: "Switch to production billing?" });
    await dialog.getByText("No price: this model cannot be billed").waitFor();
    expect(await dialog.getByRole("button", { name: "Start billing in production" }).isDisabled()).toBe(true);
    await dialog.getByRole("button", { name: "Stay in development" }).click();
    await page.getByText("DEVELOPMENT · FREE").waitFor();
  });

  it("shows the agents page with live figures, then signs out", async () => {
    await page.getByRole("link", { name: "Agents", exact: true }).click();
    const row = page.getByRole("row", { name: /Agent Browser support agent/ });
    const today = billedSum(await ledger((r) => r.localDay === new Date().toISOString().slice(0, 10)));
    await row.getByText(formatUsd(today), { exact: true }).first().waitFor();
    await screenshot(page, "agents");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  });
});
