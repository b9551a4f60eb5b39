// Data alarms, as a person sets one up: a draft without its threshold is refused by the
// page, naming the field; with it, the rule is backtested over the last hour and what it would
// have done is drawn and listed; saved, it fires on the live instrument's next record
// (tests/portal feeds LR-2's Temp every two seconds) into the inbox. Where the group's
// notifications go is set, and a test of the alarm arrives there. A file alarm tells of
// a matching upload in the inbox.
import { expect, test } from "@playwright/test";
import { accessible, asAdmin, logInByKeyboard, mails, password, user } from "./session";

const liveTemp = process.env.FC_LIVE_TEMP ?? "35";
const NAME = "Temp high";

const FILE_RULE = "CSV reports";
/** The files a test uploaded, deleted again after it: the drive's test expects its own. */
const uploaded: string[] = [];

// Where notifications go is put back however a test ends (nowhere but the inbox), and
// what a test made goes.
test.afterEach(async ({ request }) => {
  const headers = await asAdmin(request);
  await request.put("/v1/groups/plant/destinations", { headers, data: {} });
  for (const file of uploaded.splice(0)) await request.delete(`/v1/groups/plant/files/${file}`, { headers });
  const rules = await (await request.get("/v1/groups/plant/file-alarms", { headers })).json();
  for (const rule of rules.file_alarms ?? []) {
    await request.delete(`/v1/groups/plant/file-alarms/${rule.id}`, { headers });
  }
});

test("an alarm is backtested and drawn, saved, and fires into the inbox", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Alarms" }).click();
  await expect(page.getByRole("heading", { name: "Alarms", level: 1 })).toBeFocused();
  // The one tests/portal set up.
  await expect(page.locator("ul.alarms > li")).toHaveCount(1);

  await page.getByRole("button", { name: "New alarm" }).click();
  await page.locator("form.alarm-editor").getByLabel("Name").fill(NAME);
  await page.getByLabel("Channel").selectOption({ label: "gw-a/LR-2/Temp" });
  await expect(page.getByRole("group", { name: "Raises when it is" }).getByRole("combobox")).toHaveValue("above");
  // Left blank, the threshold is named before anything is sent.
  await page.getByRole("button", { name: "Backtest", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveText("Condition 1, Raises when it is: Threshold needs a number.");

  await page.getByLabel("Threshold").fill("30");
  await page.getByRole("button", { name: "Backtest", exact: true }).click();
  await expect(page.getByRole("alert")).toHaveCount(0);
  // The feed has read above 30 since it started: raised once, never cleared.
  await expect(page.locator(".tally")).toHaveText(/^\d+ records read\. Raised: 1\. Cleared: 0\.$/);
  const events = page.locator("table.events tbody tr");
  await expect(events).toHaveCount(1);
  await expect(events.first()).toHaveAttribute("data-kind", "raised");
  await expect(page.locator(".backtest .chart canvas")).toBeVisible();
  await accessible(page);
  await page.screenshot({ path: "screenshots/alarms-backtest.png", fullPage: true });

  await page.locator("form.alarm-editor").getByRole("button", { name: "Save" }).click();
  const saved = page.locator("ul.alarms > li", { hasText: NAME });
  await expect(saved).toHaveCount(1);
  await expect(saved).toContainText(`gw-a/LR-2/Temp above 30`);
  await page.screenshot({ path: "screenshots/alarms.png", fullPage: true });

  // The live instrument's next record raises it; the inbox tells it with the reading.
  await page.getByRole("link", { name: /^Inbox/ }).click();
  const told = page.locator("ul.inbox > li", { hasText: `${NAME} raised` });
  await expect(async () => {
    await page.reload();
    await expect(told).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(told.locator("ul.readings")).toHaveText(`gw-a/LR-2/Temp: ${liveTemp}`);
});

test("notifications go where the group says, in its language, and an alarm's test arrives there", async ({
  page,
  request,
}) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Alarms" }).click();
  const where = page.locator("section", { has: page.getByRole("heading", { name: "Where notifications go" }) });
  await where.getByLabel("E-mail these users").fill("nobody");
  await where.getByRole("button", { name: "Save" }).click();
  await expect(where.getByRole("alert")).toHaveText("`mail`: no user `nobody`");
  await where.getByLabel("E-mail these users").fill(user);
  await where.getByLabel("Slack incoming webhook").fill("https://example.com/hook");
  await where.getByRole("button", { name: "Save" }).click();
  await expect(where.getByRole("alert")).toHaveText("`slack`: not a slack webhook: it must start with https://hooks.slack.com/services/");
  await where.getByLabel("Slack incoming webhook").fill("");
  await where.getByLabel("Language of the notifications").selectOption({ label: "Deutsch" });
  await where.getByRole("button", { name: "Save" }).click();
  await expect(where.getByRole("status")).toHaveText("Saved.");
  await expect(where.getByLabel("E-mail these users")).toHaveValue(user);
  await expect(where.getByLabel("Language of the notifications")).toHaveValue("de");
  await accessible(page);
  await page.screenshot({ path: "screenshots/alarms-destinations.png", fullPage: true });

  // The test goes the way a real notification goes: to the user's address, in German.
  const alarm = page.locator("ul.alarms > li", { hasText: NAME });
  await alarm.getByRole("button", { name: `Send a test of ${NAME}` }).click();
  await expect(alarm.getByRole("status")).toHaveText(
    "A test notification is on its way to where this alarm's notifications go.",
  );
  const tests = async () =>
    (await mails(request)).filter((mail) => mail.includes("Testbenachrichtigung") && mail.includes(NAME));
  await expect.poll(async () => (await tests()).length).toBeGreaterThan(0);
  const me = await (await request.get("/v1/me", { headers: await asAdmin(request) })).json();
  expect((await tests())[0]).toContain(me.email);
});

test("a file alarm is made, a matching upload lands in the inbox, and the rule is deleted", async ({
  page,
  request,
}) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Alarms" }).click();
  const rules = page.locator("section", { has: page.getByRole("heading", { name: "File alarms", level: 2 }) });
  await expect(rules.getByText("No file alarms yet.")).toBeVisible();
  await rules.getByLabel("Name", { exact: true }).fill(FILE_RULE);
  await rules.getByLabel("File name pattern (optional)").fill("report-*.csv");
  await rules.getByLabel("File kind (optional)").fill("csv");
  await rules.getByRole("button", { name: "Make file alarm" }).click();
  await expect(rules.getByRole("alert")).toHaveText(
    '`kind` "csv": a media type such as text/csv, or a class of them such as image/*',
  );
  await rules.getByLabel("File kind (optional)").fill("text/csv");
  await rules.getByRole("button", { name: "Make file alarm" }).click();
  await expect(rules.getByRole("status")).toHaveText(`File alarm ${FILE_RULE} made.`);
  const rule = rules.locator("li", { hasText: FILE_RULE });
  await expect(rule).toContainText("named report-*.csv · of kind text/csv");
  await expect(rules.getByLabel("Name", { exact: true })).toHaveValue("");
  await accessible(page);
  await page.screenshot({ path: "screenshots/file-alarms.png", fullPage: true });

  // An upload that matches (straight to the bucket, as the drive sends one), and one that
  // does not: the inbox tells the first alone.
  const headers = await asAdmin(request);
  for (const name of ["report-1.csv", "notes.txt"]) {
    const body = Buffer.from("t,CH1\n1,2\n");
    const asked = await request.post("/v1/groups/plant/files", {
      headers,
      data: { name, folder: "", size: body.length, content_type: name.endsWith(".csv") ? "text/csv" : "text/plain" },
    });
    expect(asked.status()).toBe(201);
    const { id, upload } = await asked.json();
    uploaded.push(id);
    // The signed headers come as [name, value] pairs; the client sets its own length and host.
    const signed = Object.fromEntries(
      (upload.headers as [string, string][]).filter(([name]) => !["content-length", "host"].includes(name.toLowerCase())),
    );
    expect((await request.put(upload.url, { headers: signed, data: body })).status()).toBe(200);
  }
  await page.getByRole("link", { name: /^Inbox/ }).click();
  const notice = page.locator("ul.inbox > li", { hasText: `${FILE_RULE}: report-1.csv uploaded to /` });
  await expect(async () => {
    await page.reload();
    await expect(notice).toHaveCount(1, { timeout: 1_000 });
  }).toPass();
  await expect(page.locator("ul.inbox > li", { hasText: "notes.txt" })).toHaveCount(0);

  await page.getByRole("link", { name: "Alarms" }).click();
  await rule.getByRole("button", { name: `Delete ${FILE_RULE}` }).click();
  await rule.getByRole("button", { name: `Delete ${FILE_RULE} for good` }).click();
  await expect(rules.getByText("No file alarms yet.")).toBeVisible();
});

test("an alarm is disabled, edited on top of that, and deleted", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Alarms" }).click();
  const alarm = page.locator("ul.alarms > li", { hasText: NAME });
  await expect(alarm).toHaveCount(1);

  await alarm.getByRole("button", { name: `Edit ${NAME}` }).click();
  await expect(page.getByRole("heading", { name: `Editing ${NAME}` })).toBeFocused();
  // Disabled while its editor is open: the save that follows builds on that change.
  await alarm.getByRole("button", { name: `Disable ${NAME}` }).click();
  await expect(alarm).toContainText("Disabled");
  await page.getByLabel("Threshold").fill("40");
  await page.locator("form.alarm-editor").getByRole("button", { name: "Save" }).click();
  await expect(alarm).toContainText("gw-a/LR-2/Temp above 40");
  await expect(alarm).toContainText("Disabled");
  await expect(page.getByRole("alert")).toHaveCount(0);

  await alarm.getByRole("button", { name: `Delete ${NAME}` }).click();
  await alarm.getByRole("button", { name: `Delete ${NAME} for good` }).click();
  await expect(alarm).toHaveCount(0);
  await expect(page.locator("ul.alarms > li")).toHaveCount(1);
});
