// Logging in and watching the fleet, as a person does: keyboard only, in a real
// browser, against the local cloud tests/portal started and seeded (account acme, app
// gw-a, instrument LR-1 with CH1 = 21.5 and CH2 = +OVER). Each page is screenshotted
// into screenshots/ and checked with axe.
import { expect, test } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

test("a wrong password is told and keeps the login page", async ({ page }) => {
  await logInByKeyboard(page, "not-the-password-1A");
  await expect(page.getByRole("alert")).toHaveText("The account, user or password is wrong.");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await accessible(page);
  await page.screenshot({ path: "screenshots/login-refused.png", fullPage: true });
});

test("an admin logs in by keyboard, sees the live values and logs out", async ({ page }) => {
  await logInByKeyboard(page, password);
  const started = Date.now();
  const instrument = page.locator('table[data-instrument="LR-1"]');
  await expect(instrument.locator('tr[data-channel="CH1"] td').first()).toHaveText("21.5");
  console.log(`monitor rendered its values ${Date.now() - started} ms after the login was sent`);
  // A special value is shown by its meaning, not as a number.
  await expect(instrument.locator('tr[data-channel="CH2"] td').first()).toHaveText("Over range (+)");
  // Its message just now connected it.
  await expect(page.locator('article[data-app="gw-a"] .status')).toHaveText("Connected");
  // The keyboard is on the page's heading, not lost.
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await accessible(page);
  await page.screenshot({ path: "screenshots/monitor.png", fullPage: true });

  const token = await page.evaluate(() => sessionStorage.getItem("fieldcloud.session"));
  expect(token).toBeTruthy();
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(page.getByLabel("Account ID")).toBeFocused();
  // The session ended on the server, not only in the tab: its token is refused.
  const after = await page.request.get("/v1/account", {
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(after.status()).toBe(401);
});

test("the login page passes axe, and its first paint is reported", async ({ page }) => {
  await page.goto("/login");
  // A figure for the README, not a check: the browser records the paint a moment after
  // it happens, if at all.
  const paint = await page
    .waitForFunction(
      () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime,
      undefined,
      { timeout: 5_000 },
    )
    .then((handle) => handle.jsonValue())
    .catch(() => null);
  console.log(`login page first contentful paint: ${paint === null ? "not recorded" : `${Math.round(paint)} ms`}`);
  await page.screenshot({ path: "screenshots/login.png", fullPage: true });
  await accessible(page);
});
