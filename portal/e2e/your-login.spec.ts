// A user's own login, as a person looks after theirs: the password changed (the old one
// no longer logs in, other sessions end), two-step verification turned on by a mailed
// code and by an authenticator app — each asked at the next login, each turned off
// again — an admin turning off the second step of a user who lost their app, and Web API
// tokens, which the Standard plan refuses in the API's words.
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { account, accessible, asAdmin, logInByKeyboard, mails, password } from "./session";
import { authenticatorCode } from "./totp";

// A new person for each test (member41, member42, …): wrong passwords and codes count
// against a user's logins for 15 minutes, and one test's must not throttle the next.
let people = 0;
let PERSON = "";
let PERSON_EMAIL = "";
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
  people += 1;
  PERSON = `member4${people}`;
  PERSON_EMAIL = `${PERSON}@fieldcloud.example`;
  const headers = await asAdmin(request);
  // A run that stopped half-way may have left the person behind.
  await request.delete(`/v1/users/${PERSON}`, { headers });
  const made = await request.post("/v1/users", {
    headers,
    data: { user: PERSON, password: FIRST_PASSWORD, role: "member", email: PERSON_EMAIL, admin_password: password },
  });
  expect(made.status()).toBe(201);
});

test.afterEach(async ({ request }) => {
  await request.delete(`/v1/users/${PERSON}`, { headers: await asAdmin(request) });
});

/** Logs the person in by keyboard, on to the monitor, then opens their own login page. */
async function logInToOwnPage(page: Page) {
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
}

function twoStepOf(page: Page) {
  return page.locator("section", { has: page.getByRole("heading", { name: "Two-step verification" }) });
}

test("a changed password logs in, the old one no longer does, and other sessions end", async ({ page, request }) => {
  const elsewhere = await request.post("/v1/login", { data: { account, user: PERSON, password: FIRST_PASSWORD } });
  const otherSession = { Authorization: `Bearer ${(await elsewhere.json()).token}` };
  expect((await request.get("/v1/me", { headers: otherSession })).status()).toBe(200);

  await logInToOwnPage(page);
  await expect(page.locator("dl.facts")).toContainText(PERSON_EMAIL);
  await expect(page.locator("dl.facts")).toContainText("Member");
  // A member has Web API tokens here too (what the plan allows is the API's to say).
  await expect(page.getByRole("heading", { name: "Web API tokens" })).toBeVisible();

  const form = page.locator("form", { has: page.getByRole("heading", { name: "Password" }) });
  await form.getByLabel("Current password").fill(FIRST_PASSWORD);
  await form.getByLabel("New password", { exact: true }).fill("Second-Secret-42");
  await form.getByLabel("The new password again").fill("Second-Secret-43");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("The two passwords differ.");
  await expect(form.getByLabel("The new password again")).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("Current password").fill("Not-My-Password-1");
  await form.getByLabel("The new password again").fill("Second-Secret-42");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("alert")).toHaveText("the password is wrong");
  await expect(form.getByLabel("Current password")).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("Current password").fill(FIRST_PASSWORD);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions have ended; this one goes on.");
  await expect(form.getByRole("alert")).toHaveCount(0);
  expect((await request.get("/v1/me", { headers: otherSession })).status()).toBe(401);
  // This session went on: the API still answers it.
  await page.getByRole("link", { name: "Monitor" }).click();
  await openYourLogin(page);
  await expect(page.locator("dl.facts")).toContainText(PERSON);
  await logOut(page);

  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("alert")).toHaveText("The account, user or password is wrong.");
  await logInByKeyboard(page, "Second-Secret-42", PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("two-step verification by a mailed code: turned on, asked at login, turned off with a new code", async ({
  page,
  request,
}) => {
  await logInToOwnPage(page);
  const twoStep = twoStepOf(page);
  await expect(twoStep.locator("[data-two-step]")).toHaveText("Off: your password alone logs you in.");
  await accessible(page);

  let before = (await mailedCodes(request)).length;
  await twoStep.getByRole("button", { name: `E-mail a code to ${PERSON_EMAIL}` }).click();
  await expect(twoStep.getByLabel("Verification code")).toBeFocused();
  await page.keyboard.type(await nextMailedCode(request, before));
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is on: codes will be e-mailed at login.");
  await expect(twoStep.getByRole("status")).toBeFocused();
  await expect(twoStep.locator("[data-two-step]")).toHaveText(`On: at each login a code is e-mailed to ${PERSON_EMAIL}.`);
  await logOut(page);

  before = (await mailedCodes(request)).length;
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByText("Enter the code we e-mailed you.")).toBeVisible();
  await page.getByLabel("Verification code").fill(await nextMailedCode(request, before));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();

  // Off takes a code mailed for it as well as the password: the one used at login is spent.
  await openYourLogin(page);
  before = (await mailedCodes(request)).length;
  await twoStep.getByRole("button", { name: `E-mail a code to ${PERSON_EMAIL} to turn it off` }).click();
  await expect(twoStep.getByLabel("Verification code")).toBeFocused();
  const code = await nextMailedCode(request, before);
  await twoStep.getByLabel("Verification code").fill(code);
  await twoStep.getByLabel("Your password (asked again)").fill("Not-My-Password-1");
  await twoStep.getByRole("button", { name: "Turn off" }).click();
  await expect(twoStep.getByRole("alert")).toHaveText("the password is wrong");
  await expect(twoStep.getByLabel("Your password (asked again)")).toHaveAttribute("aria-invalid", "true");
  await twoStep.getByLabel("Your password (asked again)").fill(FIRST_PASSWORD);
  await twoStep.getByRole("button", { name: "Turn off" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is off.");
  await expect(twoStep.locator("[data-two-step]")).toHaveText("Off: your password alone logs you in.");
  await logOut(page);
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("two-step verification by an authenticator app: set up from its QR code, asked at login, turned off with a code", async ({
  page,
}) => {
  await logInToOwnPage(page);
  const twoStep = twoStepOf(page);
  await twoStep.getByLabel("Your password (asked again)").fill(FIRST_PASSWORD);
  await twoStep.getByRole("button", { name: "Set up an authenticator app" }).click();
  await expect(twoStep.getByRole("img", { name: /^QR code for your authenticator app/ })).toBeVisible();
  await expect(twoStep.getByLabel("Verification code")).toBeFocused();
  // The key as the page shows it, copied as it is: no spaces between its groups.
  const secret = await twoStep.locator("code.secret").evaluate((key) => key.textContent ?? "");
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await accessible(page);
  await page.screenshot({ path: "screenshots/your-login-app.png", fullPage: true });

  // A wrong code is refused: one digit off the right one for now.
  const now = await authenticatorCode(secret, 0);
  await twoStep.getByLabel("Verification code").fill(now.slice(0, 5) + String((Number(now[5]) + 1) % 10));
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("alert")).toHaveText("the code does not match; check the app's clock");
  await expect(twoStep.getByLabel("Verification code")).toHaveAttribute("aria-invalid", "true");
  // Each code works once: turning on takes the last step's, the login the current
  // one's, turning off the next one's.
  await twoStep.getByLabel("Verification code").fill(await authenticatorCode(secret, -1));
  await twoStep.getByRole("button", { name: "Turn on" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is on: your app gives the code at login.");
  await expect(twoStep.getByRole("status")).toBeFocused();
  await logOut(page);

  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByText("Enter the code from your authenticator app.")).toBeVisible();
  await page.getByLabel("Verification code").fill(await authenticatorCode(secret, 0));
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await openYourLogin(page);
  await expect(twoStep.locator("[data-two-step]")).toHaveText("On: at each login your authenticator app gives the code.");
  await expect(twoStep.getByText("Lost your app?")).toBeVisible();
  await twoStep.getByLabel("A current code from your app").fill(await authenticatorCode(secret, 1));
  await twoStep.getByRole("button", { name: "Turn off" }).click();
  await expect(twoStep.getByRole("status")).toHaveText("Two-step verification is off.");
  await logOut(page);
  await logInByKeyboard(page, FIRST_PASSWORD, PERSON);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
});

test("an admin turns off the second step of a user who lost their authenticator", async ({ page, request }) => {
  // The person set an app up (through the API, as the page does) and then lost it.
  const login = await request.post("/v1/login", { data: { account, user: PERSON, password: FIRST_PASSWORD } });
  const asPerson = { Authorization: `Bearer ${(await login.json()).token}` };
  const enrolled = await request.post("/v1/two-step/totp", { headers: asPerson, data: { password: FIRST_PASSWORD } });
  const { secret } = await enrolled.json();
  const confirmed = await request.post("/v1/two-step/totp/confirm", {
    headers: asPerson,
    data: { code: await authenticatorCode(secret, 0) },
  });
  expect(confirmed.status()).toBe(200);

  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Users" }).click();
  const row = page.locator(`tr[data-user="${PERSON}"]`);
  await expect(row).toContainText("Authenticator app");
  await row.getByRole("button", { name: `Turn off ${PERSON}'s two-step verification` }).click();
  await expect(row.getByLabel("Your password (asked again)")).toBeFocused();
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await expect(row).toContainText("None");
  await expect(row.getByRole("button", { name: `Turn off ${PERSON}'s two-step verification` })).toHaveCount(0);
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
  await expect(tokens.getByText("they come with the Pro plan")).toBeVisible();
  await tokens.getByLabel("Name").fill("exporter");
  await tokens.getByLabel("Your password (asked again)").fill(password);
  await tokens.getByRole("button", { name: "Issue token" }).click();
  await expect(tokens.getByRole("alert")).toHaveText("plan standard has no Web API; it comes with pro");
  await accessible(page);
  await page.screenshot({ path: "screenshots/your-login.png", fullPage: true });
});
