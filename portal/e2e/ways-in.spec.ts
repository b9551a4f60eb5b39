// The ways in besides the login form, as people take them: a forgotten password reset by
// the link mailed to the user; a Trial signed up for, confirmed by its mailed link and
// logged into by e-mail address; a temporary, view-only login from an alarm mail's link.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { account, accessible, asAdmin, logInByKeyboard, mailSent, password } from "./session";

const FORGETFUL = "member3";
const TRIAL_EMAIL = "new.tester@fieldcloud.example";

/** The newest link to `path` the cloud has mailed, with its secret. */
async function mailedLink(request: APIRequestContext, path: string): Promise<string> {
  const sent = await mailSent(request);
  const links = [...sent.matchAll(new RegExp(`https?://[^\\s"\\\\]+${path}#token=[^\\s"\\\\]+`, "g"))];
  expect(links.length, `no ${path} link among the mail sent: ${sent.slice(-2000)}`).toBeGreaterThan(0);
  return links[links.length - 1][0];
}

async function expectLoginPage(page: Page) {
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
}

test.afterEach(async ({ request }) => {
  await request.delete(`/v1/users/${FORGETFUL}`, { headers: await asAdmin(request) });
});

test("a forgotten password is set again by the mailed link, which works once", async ({ page, request }) => {
  const made = await request.post("/v1/users", {
    headers: await asAdmin(request),
    data: { user: FORGETFUL, password: "Old-Secret-42", role: "member", email: "m3@fieldcloud.example", admin_password: password },
  });
  expect(made.status()).toBe(201);

  await page.goto("/");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { name: "Reset your password" })).toBeVisible();
  await expect(page.getByLabel("Account ID")).toBeFocused();
  await page.keyboard.type(account);
  await page.keyboard.press("Tab");
  await page.keyboard.type(FORGETFUL);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("status")).toContainText("a link to set a new password is on its way");
  await accessible(page);

  const link = await mailedLink(request, "/reset-password");
  await page.goto(link);
  await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible();
  // The secret leaves the address at once: neither history nor a bookmark keeps it.
  expect(page.url()).not.toContain("token=");
  await page.getByLabel("New password", { exact: true }).fill("New-Secret-42");
  await page.getByLabel("The new password again").fill("New-Secret-24");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.getByRole("alert")).toHaveText("The two passwords differ.");
  await page.getByLabel("The new password again").fill("New-Secret-42");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password is changed");
  await accessible(page);
  await page.screenshot({ path: "screenshots/reset-password.png", fullPage: true });

  // Used once, the link is refused in the API's words.
  await page.goto(link);
  await page.getByLabel("New password", { exact: true }).fill("Third-Secret-42");
  await page.getByLabel("The new password again").fill("Third-Secret-42");
  await page.getByRole("button", { name: "Set the password" }).click();
  await expect(page.getByRole("alert")).toHaveText("the reset link is invalid, used or expired");

  await page.getByRole("link", { name: "Back to log in" }).click();
  await logInByKeyboard(page, "New-Secret-42", FORGETFUL);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("a Trial is signed up for, confirmed by its mailed link, and logged into by e-mail", async ({ page, request }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "Try it free for 93 days" }).click();
  await expect(page.getByRole("heading", { name: "Try fieldcloud for 93 days" })).toBeVisible();
  await page.getByLabel("E-mail address").fill(TRIAL_EMAIL);
  await page.getByLabel("Password").fill("Trial-Secret-42");
  await page.getByRole("button", { name: "Start the Trial" }).click();
  await expect(page.getByRole("status")).toHaveText(`A link to confirm your Trial is on its way to ${TRIAL_EMAIL}.`);
  await accessible(page);
  await page.screenshot({ path: "screenshots/trial.png", fullPage: true });

  await page.goto(await mailedLink(request, "/trial"));
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeVisible();
  expect(page.url()).not.toContain("token=");
  await page.getByRole("button", { name: "Log out" }).click();
  await expectLoginPage(page);

  await page.getByRole("button", { name: "A Trial? Use your e-mail address" }).click();
  await expect(page.getByLabel("E-mail address")).toBeFocused();
  await page.keyboard.type(TRIAL_EMAIL);
  await page.keyboard.press("Tab");
  await page.keyboard.type("Trial-Secret-42");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("a temporary login's link, as alarm mails carry, shows its group, view only, with no login", async ({
  browser,
  request,
}) => {
  const issued = await request.post("/v1/temporary-logins", { headers: await asAdmin(request), data: {} });
  expect(issued.status()).toBe(201);
  const { token } = await issued.json();
  // A browser of its own: no session of the admin's in it.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`/groups/plant#token=${token}`);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeVisible();
  expect(page.url()).not.toContain("token=");
  await expect(page.getByRole("heading", { level: 2 })).toContainText("plant");
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  await accessible(page);
  await context.close();
});
