// The inbox, as a person uses it: the unread count beside its link, the alarm tests/portal
// set up (raised by the latest record) told in words with the readings that raised it,
// marked read on its own, then everything marked read at once.
import { expect, test } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

const alarm = process.env.FC_ALARM ?? "CH1 above 21";

test("an alarm raised is in the inbox, counted unread until it is marked read", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  const token = await page.evaluate(() => sessionStorage.getItem("fieldcloud.session"));
  const headers = { Authorization: `Bearer ${token}` };
  // The alarm is decided and delivered to the inbox by workers after the record landed.
  const unreadNow = async () =>
    (await (await page.request.get("/v1/groups/plant/inbox/unread", { headers })).json()).unread as number;
  await expect.poll(unreadNow, { timeout: 30_000 }).toBeGreaterThan(0);
  const unread = await unreadNow();

  await page.reload();
  const link = page.getByRole("link", { name: /^Inbox/ });
  await expect(link).toHaveAccessibleName(`Inbox ${unread} unread`);
  await link.click();
  await expect(page.getByRole("heading", { name: "Inbox" })).toBeFocused();
  const raised = page.locator("ul.inbox > li", { hasText: `${alarm} raised` });
  await expect(raised).toHaveCount(1);
  await expect(raised).toHaveAttribute("data-read", "false");
  // The readings that decided it, special values by name.
  await expect(raised.locator("ul.readings")).toHaveText("gw-a/LR-1/CH1: 21.5");
  await accessible(page);
  await page.screenshot({ path: "screenshots/inbox.png", fullPage: true });

  await raised.getByRole("button", { name: "Mark read" }).click();
  await expect(raised).toHaveAttribute("data-read", "true");
  await expect(raised.getByRole("button", { name: "Mark read" })).toHaveCount(0);
  const afterOne = unread - 1;
  await expect(link).toHaveAccessibleName(afterOne === 0 ? "Inbox" : `Inbox ${afterOne} unread`);
  expect(await unreadNow()).toBe(afterOne);

  await page.getByRole("button", { name: "Mark all read" }).click();
  await expect(link).toHaveAccessibleName("Inbox");
  await page.getByRole("button", { name: "Unread", exact: true }).click();
  await expect(page.getByText("Nothing unread.")).toBeVisible();
  expect(await unreadNow()).toBe(0);
  await accessible(page);
  await page.screenshot({ path: "screenshots/inbox-all-read.png", fullPage: true });
});
