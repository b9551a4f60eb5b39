// The account's settings, as an admin changes them: the portal speaks the language
// chosen at once (Japanese, then English again), the plan and storage are shown, and
// what the Standard plan does not include (the alternate login ID, the allow-list) is
// refused in the API's words;
// the account's logo is set (shown in every page's header), refused when too large or
// not an image, and removed.
import { expect, test } from "@playwright/test";
import { accessible, asAdmin, logInByKeyboard, mails, password } from "./session";

// The logo goes again however a test ends: the others expect a plain header.
test.afterEach(async ({ request }) => {
  await request.delete("/v1/account/logo", { headers: await asAdmin(request) });
});

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
  const alias = page.locator("form", { has: page.getByRole("heading", { name: "Alternate login ID" }) });
  await alias.getByLabel("Also log in with this account ID (Pro)").fill("acme-corp");
  await alias.getByRole("button", { name: "Save" }).click();
  await expect(alias.getByRole("alert")).toHaveText("plan standard has no alternate login account ID; it comes with pro");
  // Web API tokens are each user's own, on their login page: not here.
  await expect(page.getByRole("heading", { name: "Web API tokens" })).toHaveCount(0);

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
  // The periods sold, and no other, are offered.
  await expect(license.getByLabel("Period").locator("option")).toHaveText(["1 month", "3 months", "12 months"]);
  await license.getByLabel("Period").selectOption({ label: "3 months" });
  await license.getByLabel("A note for us (optional)").fill("Two more plants from April.");
  await license.getByRole("button", { name: "Send the request" }).click();
  await expect(license.getByRole("status")).toBeFocused();
  await expect(license.getByRole("status")).toHaveText(
    "Your request is with us: the answer goes to the account's contract e-mail address.",
  );
  await accessible(page);
  await page.screenshot({ path: "screenshots/license.png", fullPage: true });
  const quotes = (await mails(request)).filter((mail) => mail.includes("Quote request: "));
  const quote = quotes[quotes.length - 1] ?? "no quote was mailed";
  expect(quote).toContain(process.env.FC_OPERATOR_EMAIL ?? "the operator's address");
  expect(quote).toContain("pro for 3 months");
  expect(quote).toContain("Two more plants from April.");
});

// A one-pixel PNG: what the cloud checks is the image's type, read from its bytes.
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

test("the account's logo is shown in every page's header; one too large or not an image is refused", async ({
  page,
}) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await expect(page.locator("header img.logo")).toHaveCount(0);
  await page.getByRole("link", { name: "Account" }).click();
  const logo = page.locator("section", { has: page.getByRole("heading", { name: "Logo" }) });
  await expect(logo.getByText("No logo yet")).toBeVisible();

  const image = logo.getByLabel("Image");
  await image.setInputFiles({ name: "big.png", mimeType: "image/png", buffer: Buffer.alloc(70 * 1024, 1) });
  await logo.getByRole("button", { name: "Upload logo" }).click();
  await expect(logo.getByRole("alert")).toHaveText("The image is 71.7 KB; a logo may be at most 65.5 KB.");
  await image.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: Buffer.from("not an image at all") });
  await logo.getByRole("button", { name: "Upload logo" }).click();
  await expect(logo.getByRole("alert")).toHaveText("`data`: the logo must be a PNG, JPEG or WebP image");

  await image.setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: PIXEL_PNG });
  await logo.getByRole("button", { name: "Upload logo" }).click();
  await expect(logo.getByRole("status")).toHaveText("Saved.");
  const expected = `data:image/png;base64,${PIXEL_PNG.toString("base64")}`;
  await expect(logo.getByRole("img", { name: "The account's logo" })).toHaveAttribute("src", expected);
  await expect(page.locator("header img.logo")).toHaveAttribute("src", expected);
  await page.getByRole("link", { name: "Monitor" }).click();
  await expect(page.locator("header img.logo")).toHaveAttribute("src", expected);
  await accessible(page);
  await page.getByRole("link", { name: "Account" }).click();
  await accessible(page);
  await page.screenshot({ path: "screenshots/settings-logo.png", fullPage: true });

  await logo.getByRole("button", { name: "Remove logo" }).click();
  await expect(logo.getByText("No logo yet")).toBeVisible();
  await expect(logo.getByRole("status")).toHaveText("The logo is removed.");
  await expect(logo.getByRole("heading", { name: "Logo" })).toBeFocused();
  await expect(page.locator("header img.logo")).toHaveCount(0);
});
