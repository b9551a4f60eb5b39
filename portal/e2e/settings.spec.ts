// The account's settings, as an admin changes them: the portal speaks the language
// chosen at once (Japanese, then English again), the plan and storage are shown, and
// what the Standard plan does not include (the allow-list, Web API tokens) is refused in
// the API's words.
import { expect, test } from "@playwright/test";
import { accessible, logInByKeyboard, mailSent, password } from "./session";

test("the account's language changes the portal's at once; Pro's settings are refused on Standard", async ({
  page,
}) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Account", level: 1 })).toBeFocused();
  await expect(page.locator("dd[data-plan]")).toHaveText("Standard");
  await expect(page.locator("dd", { hasText: " of 50 GB" })).toBeVisible();
  await expect(page.getByLabel("Time zone")).toHaveValue("UTC");

  await page.getByLabel("Language").selectOption({ label: "日本語" });
  await page.getByRole("button", { name: "Save" }).first().click();
  await expect(page.getByRole("link", { name: "モニター" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "アカウント", level: 1 })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "ja");
  await accessible(page);
  await page.screenshot({ path: "screenshots/settings-ja.png", fullPage: true });
  await page.getByLabel("言語").selectOption({ label: "English" });
  await page.getByRole("button", { name: "保存" }).first().click();
  await expect(page.getByRole("link", { name: "Monitor" })).toBeVisible();

  const allowList = page.locator("form", { has: page.getByRole("heading", { name: "IP allow-list" }) });
  await allowList.getByLabel("Addresses allowed").fill("203.0.113.0/24");
  await allowList.getByLabel("Your password (asked again)").fill(password);
  await allowList.getByRole("button", { name: "Save" }).click();
  await expect(allowList.getByRole("alert")).toHaveText("plan standard has no IP allow-list; it comes with pro");

  const tokens = page.locator("section", { has: page.getByRole("heading", { name: "Web API tokens" }) });
  await expect(tokens.getByText("No tokens yet.")).toBeVisible();
  await tokens.getByLabel("Name").fill("exporter");
  await tokens.getByLabel("Your password (asked again)").fill(password);
  await tokens.getByRole("button", { name: "Issue token" }).click();
  await expect(tokens.getByRole("alert")).toHaveText("plan standard has no Web API; it comes with pro");
  await accessible(page);
  await page.screenshot({ path: "screenshots/settings.png", fullPage: true });
});

test("a quote is asked for, in a period the operator sells, and mailed to the operator", async ({ page, request }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Account" }).click();
  const license = page.locator("section", { has: page.getByRole("heading", { name: "License" }) });
  // No license yet (the seeds give none): nothing to convert, a first one to buy.
  await expect(license.getByRole("button", { name: "Switch to Pro" })).toHaveCount(0);
  await license.getByLabel("Plan").selectOption({ label: "Pro" });
  await license.getByLabel("Period").selectOption({ label: "3 months" });
  await license.getByLabel("A note for us (optional)").fill("Two more plants from April.");
  await license.getByRole("button", { name: "Send the request" }).click();
  await expect(license.getByRole("status")).toBeFocused();
  await expect(license.getByRole("status")).toHaveText(
    "Your request is with us: the answer goes to the account's contract e-mail address.",
  );
  await accessible(page);
  await page.screenshot({ path: "screenshots/license.png", fullPage: true });
  const sent = await mailSent(request);
  expect(sent).toContain("pro for 3 months");
  expect(sent).toContain("Two more plants from April.");
});
