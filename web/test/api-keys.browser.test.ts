/// <reference lib="dom" />
/**
 * The console's API keys screen in a real browser (Debian's Chromium through playwright-core):
 * the owner creates a key (shown once, copyable), an app calls the agent with it through the real
 * `openai` SDK, the key's last use shows, the owner revokes it, and the app is refused.
 */
import { createHash } from "node:crypto";
import OpenAI from "openai";
import type { Browser, Page } from "playwright-core";
import { adminDb, CONSOLE_URL, functionUrl, seedAgent, signUpUser, USER_PASSWORD, type SignedUpUser } from "../../scripts/local-env";
import { parseKey } from "../../functions/src/domain/api-keys";
import { launchBrowser, screenshot } from "./browser";

jest.setTimeout(120_000);

let browser: Browser;
let page: Page;
let owner: SignedUpUser;
let agentId: string;
const pageErrors: string[] = [];

beforeAll(async () => {
  owner = await signUpUser("keys-console");
  agentId = await seedAgent(owner.uid, { name: "Keys agent" });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: CONSOLE_URL });
  page = await context.newPage();
  page.on("pageerror", (err) => pageErrors.push(err.message));
  // The revoke button asks first.
  page.on("dialog", (dialog) => void dialog.accept());
});

afterEach(() => expect(pageErrors.splice(0)).toEqual([]));
afterAll(async () => browser?.close());

const ask = (apiKey: string) =>
  new OpenAI({ baseURL: `${functionUrl("agentApi")}/v1`, apiKey, maxRetries: 0 }).chat.completions.create({
    model: "gpt-4",
    messages: [{ role: "user", content: "From the app [[tokens:4]]" }],
    user: "browser-end-user",
  });

describe("API keys in the console", () => {
  let key: string;

  it("creates a key, shows it once with a copy button, and lists it without its secret", async () => {
    await page.goto(CONSOLE_URL);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(USER_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Account", exact: true }).waitFor();
    await page.goto(`${CONSOLE_URL}/#/agents/${agentId}/keys`);
    await page.getByRole("heading", { name: "API keys of Keys agent" }).waitFor();
    // The backend's validation shows at its field, and nothing is created.
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("alert").filter({ hasText: "Key name: must not be empty" }).waitFor();
    await page.getByLabel("Key name").fill("Mobile app");
    await page.getByLabel("Key daily limit (USD)").fill("-1");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("alert").filter({ hasText: "Key daily limit (USD): must not be negative" }).waitFor();
    expect((await adminDb().collection("agent_api_keys").where("agentId", "==", agentId).get()).size).toBe(0);
    await page.getByLabel("Key daily limit (USD)").fill("2.5");
    await page.getByRole("button", { name: "Create key" }).click();
    key = (await page.getByLabel("The new key").textContent()) ?? "";
    expect(key).toMatch(/^ak_[a-z0-9]{20}_[A-Za-z0-9_-]{43}$/);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    const row = page.getByRole("row", { name: /Mobile app/ });
    await row.waitFor();
    expect(await row.textContent()).toContain("$2.50");
    const { keyId, secret } = parseKey(key)!;
    expect(await row.textContent()).not.toContain(secret);
    const stored = (await adminDb().doc(`agent_api_keys/${keyId}`).get()).data()!;
    expect(stored.secretHash).toBe(createHash("sha256").update(secret).digest("hex"));
    await screenshot(page, "api-keys");
    // At a phone's width the new key wraps in its notice and the list scrolls inside its card.
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot(page, "api-keys-phone");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("lets an app call the agent with it, billed to the owner, then revokes it", async () => {
    const reply = await ask(key);
    const billing = (reply as unknown as { billing: { ledger_id: string; cost_micros: number } }).billing;
    const row = (await adminDb().doc(`billable_conversations/${billing.ledger_id}`).get()).data()!;
    expect(row).toMatchObject({ userId: owner.uid, mode: "production", endUser: "browser-end-user", costMicros: billing.cost_micros });
    await page.reload();
    const listed = page.getByRole("row", { name: /Mobile app/ });
    await listed.waitFor();
    expect(await listed.textContent()).not.toContain("never");
    await page.getByRole("button", { name: "Revoke Mobile app" }).click();
    await listed.getByText(/^Revoked /).waitFor();
    await expect(ask(key)).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
  });
});
