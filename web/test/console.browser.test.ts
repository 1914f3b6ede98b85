/// <reference lib="dom" />
/**
 * The owner's web console in a real browser (Debian's Chromium through playwright-core), served by
 * the Hosting emulator on the emulators the harness started: every figure the page shows is
 * checked against the ledger, read with the Admin SDK. The tests run in order, as one owner's
 * session: sign in (to the account, the home page), create an agent, test it in development and
 * production, watch a message sent from elsewhere arrive, analytics and export, settings, a refusal
 * over the limit, alerts, and the account across all the owner's agents.
 * Screenshots of the main pages go to docs/screenshots/.
 */
import * as fs from "node:fs";
import { parse } from "csv-parse/sync";
import { Timestamp } from "firebase-admin/firestore";
import { getAuth, signInWithEmailAndPassword } from "firebase/auth";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createBillingClient } from "../../client/src";
import { perMonth } from "../../functions/src/domain/insights";
import { quoteMessage } from "../../functions/src/domain/message-quote";
import { costMicros, PRICE_BOOK } from "../../functions/src/domain/pricing";
import { ledgerRowOf, trafficOf, writeRows } from "../../scripts/seed-traffic";
import {
  adminDb,
  CONSOLE_URL,
  connectedWebApp,
  localSigningKey,
  seedAgent,
  signUpUser,
  USER_PASSWORD,
  type SignedUpUser,
} from "../../scripts/local-env";
import { formatCount, formatDecimal, formatPercent, formatUsd, parseUsd } from "../src/shared/format";
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
  agentId: string;
  timestamp: string;
  mode: "development" | "production";
  tokens: { prompt: number; completion: number; total: number; cached: number };
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

/** Every ledger row of the owner, all agents. */
async function ownerLedger(): Promise<Row[]> {
  const snap = await adminDb().collection("billable_conversations").where("userId", "==", owner.uid).get();
  return snap.docs.map((d) => ({ id: d.id, ...(d.data() as Omit<Row, "id">) }));
}
/** The UTC day of a row's instant: the account's days. */
const utcDayOf = (r: Row) => new Date(r.timestamp).toISOString().slice(0, 10);

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
    // Home is the account, empty for a new owner; the agents are one link away.
    await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
    await page.getByText("No usage in this range.").waitFor();
    await page.getByText(owner.email).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Agents", exact: true }).click();
    await page.getByRole("heading", { name: "Agents", exact: true }).waitFor();
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

  it("takes an alert phone in E.164 only", async () => {
    const phone = page.getByLabel("Alert phone (SMS)");
    await phone.fill("555-1234");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText(/^Alert phone \(SMS\): must be an E\.164 phone number/).waitFor();
    expect(await phone.getAttribute("aria-invalid")).toBe("true");
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("billing.alertPhone")).toBeUndefined();
    await phone.fill("+15551234567");
    await page.getByRole("button", { name: "Save settings" }).click();
    await page.getByText("Saved.").waitFor();
    expect((await adminDb().doc(`alchemist_agents/${agentId}`).get()).get("billing.alertPhone")).toBe("+15551234567");
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

  describe("the account across all the owner's agents", () => {
    let botId: string;
    let range: { from: string; to: string };
    const inRange = (r: Row) => utcDayOf(r) >= range.from && utcDayOf(r) <= range.to;

    /** Asks the account again (it is read on demand) until its production cost is the ledger's. */
    async function refreshUntilCost(expected: number, timeout = 60_000): Promise<void> {
      const figure = page.getByRole("group", { name: "Production cost", exact: true });
      const until = Date.now() + timeout;
      let shown: number | null = null;
      for (;;) {
        if (await figure.count()) shown = parseUsd((await figure.locator(".figure-value").textContent()) ?? "");
        if (shown === expected) return;
        if (Date.now() > until)
          throw new Error(`the account shows ${shown === null ? "nothing" : formatUsd(shown)}, the ledger has ${formatUsd(expected)}`);
        await page.waitForTimeout(500);
        await page.getByRole("button", { name: "Refresh", exact: true }).click();
      }
    }

    it("shows the account's totals and cost per UTC day, equal to the ledger's over every agent", async () => {
      // A second agent with 30 short answers on gpt-4 today (and 3 free development messages).
      botId = await seedAgent(owner.uid, { name: "Short answers bot", model: "gpt-4" });
      const now = Date.now();
      const key = localSigningKey();
      const messages = Array.from({ length: 33 }, (_, i) => ({
        agentId: botId,
        userId: owner.uid,
        conversationId: `short-c${Math.floor(i / 3)}`,
        messageId: `short-${String(i).padStart(2, "0")}`,
        mode: (i >= 30 ? "development" : "production") as "development" | "production",
        model: "gpt-4",
        prompt: 300 + i,
        completion: 60,
        cached: 0,
        at: new Date(now - (33 - i) * 1_000),
        timezone: "UTC",
        userMessage: "Is my order shipped?",
        agentResponse: "Yes, it shipped today.",
        latencyMs: 400,
      }));
      await writeRows(
        adminDb(),
        messages.map((m) => ledgerRowOf(m, key)),
        8,
      );

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account", exact: true }).click();
      await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
      // The default range: this month to date, in UTC days.
      const today = new Date().toISOString().slice(0, 10);
      expect(await page.getByLabel("From (UTC)").inputValue()).toBe(`${today.slice(0, 8)}01`);
      expect(await page.getByLabel("To (UTC)").inputValue()).toBe(today);
      expect(await page.getByLabel("Timezone").textContent()).toContain("UTC days");
      // The last 8 UTC days: the seeded week of the first agent, today's messages and the bot's.
      const from = new Date(Date.parse(`${today}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);
      await page.getByLabel("From (UTC)").fill(from);
      range = { from, to: today };

      const rows = (await ownerLedger()).filter(inRange);
      expect(new Set(rows.map((r) => r.agentId))).toEqual(new Set([agentId, botId]));
      const expected = billedSum(rows);
      await refreshUntilCost(expected);
      const dev = rows.filter((r) => r.mode === "development");
      await waitForFigure(
        "Development, would cost",
        dev.reduce((sum, r) => sum + r.shadowCostMicros, 0),
      );
      expect(await figureText("Production messages")).toBe(formatCount(rows.filter((r) => r.billable).length));
      expect(await figureText("Development messages")).toBe(formatCount(dev.length));
      expect(await figureText("Production tokens")).toBe(
        formatCount(rows.filter((r) => r.billable).reduce((sum, r) => sum + r.tokens.total, 0)),
      );
      // The chart's text alternative carries its totals: the same sums.
      const chart = page.getByRole("img", { name: /^Cost per UTC day by mode/ });
      await chart.locator(".recharts-bar-rectangle").first().waitFor();
      const label = (await chart.getAttribute("aria-label")) ?? "";
      expect(parseUsd(label.split("Production (billed)")[1] ?? "")).toBe(expected);
    });

    it("ranks the agents by cost, each with the ledger's sums, and counts the sessions that started in the range", async () => {
      const rows = (await ownerLedger()).filter(inRange);
      const byAgent = new Map<string, Row[]>();
      for (const r of rows) byAgent.set(r.agentId, [...(byAgent.get(r.agentId) ?? []), r]);
      const shadow = (list: Row[]) => list.filter((r) => r.mode === "development").reduce((sum, r) => sum + r.shadowCostMicros, 0);
      const ranked = [...byAgent].sort(
        ([a, x], [b, y]) => billedSum(y) - billedSum(x) || shadow(y) - shadow(x) || (a < b ? -1 : a > b ? 1 : 0),
      );
      const names = new Map([
        [agentId, "Browser support agent"],
        [botId, "Short answers bot"],
      ]);
      const expected = ranked.map(([id, list]) => [
        names.get(id),
        formatUsd(billedSum(list)),
        formatCount(list.filter((r) => r.billable).length),
        formatCount(list.filter((r) => r.mode === "development").length),
      ]);
      const table = page.getByRole("region", { name: "Agents by cost" });
      const shown = await table
        .locator("tbody tr")
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.querySelector("th a")?.textContent,
            tr.querySelector('td[data-label="Cost"]')?.textContent,
            tr.querySelector('td[data-label="Messages"]')?.textContent,
            tr.querySelector('td[data-label="Dev messages"]')?.textContent,
          ]),
        );
      expect(shown).toEqual(expected);
      // Shares of the account's cost, and each name links to that agent's analytics.
      const total = billedSum(rows);
      for (const [id, list] of ranked) {
        const row = table.getByRole("row", { name: `Agent ${names.get(id)}` });
        expect(await row.locator('td[data-label="Share"]').textContent()).toBe(formatPercent(billedSum(list) / total));
        expect(await row.getByRole("link", { name: names.get(id) }).getAttribute("href")).toBe(`#/agents/${id}/analytics`);
      }
      expect(await table.locator("tfoot").count()).toBe(0);

      // Engagement: conversations whose first message falls in the range, from the ledger.
      const sessions = new Map<string, Row[]>();
      for (const r of await ownerLedger())
        sessions.set(`${r.agentId}:${r.conversationId}`, [...(sessions.get(`${r.agentId}:${r.conversationId}`) ?? []), r]);
      const started = [...sessions.values()].filter((list) => {
        const first = list.reduce((a, b) => (Date.parse(a.timestamp) <= Date.parse(b.timestamp) ? a : b));
        return inRange(first);
      });
      const messages = started.reduce((sum, list) => sum + list.length, 0);
      expect(started.length).toBeGreaterThan(0);
      expect(await figureText("Sessions")).toBe(formatCount(started.length));
      expect(await figureText("Messages per session")).toBe(formatDecimal(messages / started.length));
      expect(await figureText("Development share")).toBe(formatPercent(rows.filter((r) => r.mode === "development").length / rows.length));
      expect(await figureText("Average session length")).not.toBe("—");
    });

    it("suggests gpt-4o-mini for the short answers on gpt-4, with the monthly saving the ledger implies", async () => {
      const bot = (await ownerLedger()).filter((r) => r.agentId === botId && r.billable && inRange(r));
      expect(bot).toHaveLength(30);
      const usage = { prompt: 0, completion: 0, total: 0, cached: 0 };
      for (const r of bot) for (const k of ["prompt", "completion", "total", "cached"] as const) usage[k] += r.tokens[k];
      const alternative = costMicros(usage, PRICE_BOOK.models["gpt-4o-mini"]);
      const rangeDays = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000 + 1;
      const saving = perMonth(billedSum(bot) - alternative, rangeDays);
      expect(saving).toBeGreaterThan(0);
      const insight = page
        .getByRole("region", { name: "Insights" })
        .getByRole("listitem", { name: "A cheaper model" })
        .filter({ hasText: "Short answers bot" });
      await insight.waitFor();
      expect(await insight.textContent()).toContain("gpt-4o-mini");
      expect(parseUsd((await insight.locator(".insight-saving").textContent()) ?? "")).toBe(saving);
      expect(await insight.getByRole("link", { name: "Analytics of the agent" }).getAttribute("href")).toBe(`#/agents/${botId}/analytics`);
    });

    it("is the screenshot of the account, and fits a phone's width", async () => {
      await screenshot(page, "account");
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByRole("region", { name: "Agents by cost" }).getByRole("link", { name: "Short answers bot" }).waitFor();
      // Measured at once, and again with the chart still drawn for the desktop width, as it is until
      // Recharts' resize observer fires: neither may widen the page.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const staleOverflow = await page.evaluate(() => {
        document.querySelectorAll<HTMLElement>(".recharts-wrapper").forEach((el) => (el.style.width = "1200px"));
        return document.documentElement.scrollWidth - window.innerWidth;
      });
      expect(staleOverflow).toBeLessThanOrEqual(0);
      await page.setViewportSize({ width: 1280, height: 800 });
    });

    it("opens a ranked agent's analytics from its name", async () => {
      await page.getByRole("region", { name: "Agents by cost" }).getByRole("link", { name: "Short answers bot" }).click();
      await page.getByRole("heading", { name: /^Analytics of Short answers bot/ }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/agents/${botId}/analytics`);
    });
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
