// What the browser tests share: the seeded login (tests/portal names it), logging in as
// a person does, keyboard only, and the axe check every page passes.
import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";

export const account = process.env.FC_ACCOUNT ?? "acme";
export const user = process.env.FC_USER ?? "tester";
export const password = process.env.FC_PASSWORD ?? "";

/** The seeded admin's headers for calls the tests make around the browser (set-up,
 * clean-up). */
export async function asAdmin(request: APIRequestContext) {
  const login = await request.post("/v1/login", { data: { account, user, password } });
  return { Authorization: `Bearer ${(await login.json()).token}` };
}

/** Everything the cloud has mailed so far, as the emulator's SES holds it. */
export async function mailSent(request: APIRequestContext): Promise<string> {
  return (await request.get(`${process.env.FC_MOTO_URL ?? ""}/moto-api/data.json`)).text();
}

/** Each mail sent so far, oldest first: the JSON object the emulator keeps it in (its
 * recipients, subject and body), as text. */
export async function mails(request: APIRequestContext): Promise<string[]> {
  const found: string[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(collect);
    if (value === null || typeof value !== "object") return;
    if (Object.keys(value).some((key) => key.toLowerCase() === "subject")) found.push(JSON.stringify(value));
    else Object.values(value).forEach(collect);
  };
  collect(JSON.parse(await mailSent(request)));
  return found;
}

export async function accessible(page: Page) {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
}

export async function logInByKeyboard(page: Page, secret: string, who: string = user) {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  // The account field has the focus; every other step is the keyboard's.
  await page.keyboard.type(account);
  await page.keyboard.press("Tab");
  await page.keyboard.type(who);
  await page.keyboard.press("Tab");
  await page.keyboard.type(secret);
  await page.keyboard.press("Enter");
}
