// A user's own login, as a person looks after theirs: the password changed (the old one
// no longer logs in), two-step verification turned on by a mailed code and then by an
// authenticator app — each asked at the next login, each turned off again — and Web API
// tokens, which the Standard plan refuses in the API's words.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { accessible, asAdmin, logInByKeyboard, mails, password } from "./session";
import { authenticatorCode } from "./totp";

const PERSON = "member4";
const PERSON_EMAIL = "m4@fieldcloud.example";
const FIRST_PASSWORD = "First-Secret-41";

const CODE_MAIL = /Your fieldcloud verification code is (\d{6})/;

/** The codes mailed to the person so far, oldest first. */
async function mailedCodes(request: APIRequestContext): Promise<string[]> {
  return (await mails(request))
    .filter((mail) => mail.includes(PERSON_EMAIL))
    .flatMap((mail) => CODE_MAIL.exec(mail)?.[1] ?? []);
}

/** The code mailed after the `before` codes already sent. */
async function nextMailedCode(request: APIRequestContext, before: number): Promise<string> {
  await expect.poll(async () => (await mailedCodes(request)).length).toBeGreaterThan(before);
  const codes = await mailedCodes(request);
  return codes[codes.length - 1];
}

async function openYourLogin(page: Page) {
  await page.getByRole("link", { name: "Your login" }).click();
  await expect(page.getByRole("heading", { name: "Your login", level: 1 })).toBeFocused();
}

async function logOut(page: Page) {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
}

test.beforeEach(async ({ request }) => {
  const made = await request.post("/v1/users", {
    headers: await asAdmin(request),
    data: { user: PERSON, password: FIRST_PASSWORD, role: "member", email: PERSON_EMAIL, admin_password: password },
  });
  expect(made.status()).toBe(201);
});

test.afterEach(async ({ request }) => {
  await request.delete(`/v1/users/${PERSON}`, { headers: await asAdmin(request) });
});

test("a changed password logs in and the old one no longer does", async ({ page }) => {
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
  await expect(page.locator("dl.facts")).toContainText(PERSON_EMAIL);
  await expect(page.locator("dl.facts")).toContainText("Member");

  const form = page.locator("form", { has: page.getByRole("heading", { name: "Password" }) });
  await form.getByLabel("Current password").fill(FIRST_PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill("Second-Secret-42");
  await form.getByLabel("The new password again").fill("Second-Secret-43");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("The two passwords differ.");

  await form.getByLabel("Current password").fill("Not-My-Password-1");
  await form.getByLabel("The new password again").fill("Second-Secret-42");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).not.toHaveText("The two passwords differ.");

  await form.getByLabel("Current password").fill(FIRST_PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill("Second-Secret-42");
  await form.getByLabel("The new password again").fill("Second-Secret-42");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions have ended; this one goes on.");
  // This session went on: the page still answers.
  await page.getByRole("link", { name: "Monitor" }).click();
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await logOut(page);

  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("alert")).toBeVisible();
  await logInByKeyboard(page, "Second-Secret-42", PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("two-step verification by a mailed code, then by an authenticator app: turned on, asked at login, turned off", async ({
  page,
  request,
}) => {
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
  const twoStep = page.locator("section", { has: page.getByRole("heading", { name: "Two-step verification" }) });
  await expect(twoStep.locator("[data-two-step]")).toHaveText("Off: your password alone logs you in.");
  await accessible(page);

  // By a mailed code: the code mailed comes back, and login asks for the next one.
  let before = (await mailedCodes(request)).length;
  await twoStep.getByRole("button", { name: `E-mail a code to ${PERSON_EMAIL}` }).click();
  await expect(twoStep.getByLabel("Verification code")).toBeFocused();
  await page.keyboard.type(await nextMailedCode(request, before));
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is on: codes will be e-mailed at login.");
  await expect(twoStep.locator("[data-two-step]")).toHaveText(`On: at each login a code is e-mailed to ${PERSON_EMAIL}.`);
  await logOut(page);

  before = (await mailedCodes(request)).length;
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByText("Enter the code we e-mailed you.")).toBeVisible();
  await page.getByLabel("Verification code").fill(await nextMailedCode(request, before));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();

  await openYourLogin(page);
  await twoStep.getByLabel("Your password (asked again)").fill(FIRST_PASSWORD);
  await twoStep.getByRole("button", { name: "Turn off" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is off.");

  // By an authenticator app: the secret shown as a QR code and as text; a wrong code is
  // refused, a right one turns it on.
  await twoStep.getByLabel("Your password (asked again)").fill(FIRST_PASSWORD);
  await twoStep.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(twoStep.getByRole("img", { name: /^QR code for your authenticator app/ })).toBeVisible();
  await expect(twoStep.getByLabel("Verification code")).toBeFocused();
  const secret = (await twoStep.locator("code.secret").innerText()).replace(/\s/g, "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await accessible(page);
  await page.screenshot({ path: "screenshots/your-login-app.png", fullPage: true });

  const right = await authenticatorCode(secret, -1);
  const wrong = right.slice(0, 5) + String((Number(right[5]) + 1) % 10);
  await twoStep.getByLabel("Verification code").fill(wrong);
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("alert")).toHaveText("the code does not match; check the app's clock");
  await twoStep.getByLabel("Verification code").fill(right);
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is on: your app gives the code at login.");
  await expect(twoStep.getByRole("heading", { name: "Two-step verification" })).toBeFocused();
  await logOut(page);

  // Each code works once: the login takes the next step's, turning it off the one after.
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByText("Enter the code from your authenticator app.")).toBeVisible();
  await page.getByLabel("Verification code").fill(await authenticatorCode(secret, 0));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
  await expect(twoStep.locator("[data-two-step]")).toHaveText("On: at each login your authenticator app gives the code.");
  await twoStep.getByLabel("A current code from your app").fill(await authenticatorCode(secret, 1));
  await twoStep.getByRole("button", { name: "Turn off" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is off.");
  await logOut(page);
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("Web API tokens are on each user's own page, and the Standard plan refuses them", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
  const tokens = page.locator("section", { has: page.getByRole("heading", { name: "Web API tokens" }) });
  await expect(tokens.getByText("No tokens yet.")).toBeVisible();
  await tokens.getByLabel("Name").fill("exporter");
  await tokens.getByLabel("Your password (asked again)").fill(password);
  await tokens.getByRole("button", { name: "Issue token" }).click();
  await expect(tokens.getByRole("alert")).toHaveText("plan standard has no Web API; it comes with pro");
  await accessible(page);
  await page.screenshot({ path: "screenshots/your-login.png", fullPage: true });
});
