// Calculated channels, as a person sets one up: a typo is refused with its place marked
// and the cursor put there; fixed, the channel is computed over the stored hour
// (tests/portal seeds it) and graphed in the viewer like any other channel.
import { expect, test } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

const historyRecords = Number(process.env.FC_HISTORY_RECORDS ?? "50");
const TYPO = "[LR-1/CH1] * * 2";
/** Where the second `*` is: the parser's complaint. */
const TYPO_AT = TYPO.indexOf("* 2");

test("a typo is refused at its place; fixed, the channel is computed and graphed", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Calculated channels" }).click();
  await expect(page.getByRole("heading", { name: "Calculated channels", level: 1 })).toBeFocused();
  await expect(page.getByText("No calculated channels yet.")).toBeVisible();

  await page.getByLabel("Name").fill("Double CH1");
  const expression = page.getByLabel("Expression");
  await expression.fill(TYPO);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("alert")).toContainText(`at ${TYPO_AT}`);
  await expect(page.locator("pre.where mark")).toHaveText("*");
  await expect(expression).toBeFocused();
  expect(await expression.evaluate((box) => (box as HTMLTextAreaElement).selectionStart)).toBe(TYPO_AT);
  await accessible(page);
  await page.screenshot({ path: "screenshots/calculated-refused.png", fullPage: true });

  await expression.fill("[LR-1/CH1] * 2");
  await page.getByRole("button", { name: "Save" }).click();
  const row = page.locator("table.calculated tbody tr", { hasText: "Double CH1" });
  await expect(row).toHaveCount(1);
  await expect(page.getByRole("alert")).toHaveCount(0);
  // Every stored CH1 record is computed: the hour's history and the latest.
  await expect(row.locator("td.backfill")).toHaveText(`${historyRecords + 1} values computed`, { timeout: 30_000 });
  // The latest value is CH1's latest, doubled.
  await expect(row.locator("td").nth(1)).toContainText("43");
  await accessible(page);
  await page.screenshot({ path: "screenshots/calculated.png", fullPage: true });

  const channel = await row.getAttribute("data-channel");
  expect(channel).toMatch(/^calc:/);
  await page.getByRole("link", { name: "Viewer" }).click();
  await page.getByRole("checkbox", { name: "Double CH1" }).check();
  await expect(page.locator(`.legend li[data-channel="${channel}"]`)).toHaveText(
    `Double CH1 ${historyRecords + 1} points`,
  );
  await page.screenshot({ path: "screenshots/viewer-calculated.png", fullPage: true });
});
