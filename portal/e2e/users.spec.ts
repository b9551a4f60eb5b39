// Users and grants, as an admin sets a colleague up: a second group, a member (a weak
// password refused first), a grant to one group only; then the member logs in and sees
// that group and no admin's pages.
import { expect, test } from "@playwright/test";
import { account, accessible, logInByKeyboard, password, user } from "./session";

const MEMBER = "member1";
const MEMBER_PASSWORD = "Member-Secret-9";

test("a member sees only the groups granted to them", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();

  await page.getByRole("link", { name: "Groups and grants" }).click();
  await expect(page.getByRole("heading", { name: "Groups and grants", level: 1 })).toBeFocused();
  await page.getByLabel("Group ID").fill("yard");
  await page.getByLabel("Name", { exact: true }).fill("Yard");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.locator('section[data-group="yard"] h2')).toHaveText("Yard yard");

  await page.getByRole("link", { name: "Users" }).click();
  await page.getByLabel("User ID", { exact: true }).fill(MEMBER);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Your password (asked again)").fill(password);
  await page.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByRole("alert")).toContainText("password");
  await page.getByLabel("Password", { exact: true }).fill(MEMBER_PASSWORD);
  await page.getByRole("button", { name: "Create user" }).click();
  const row = page.locator(`tr[data-user="${MEMBER}"]`);
  await expect(row.getByRole("combobox", { name: `Role of ${MEMBER}` })).toHaveValue("member");
  await expect(page.getByRole("alert")).toHaveCount(0);
  await accessible(page);
  await page.screenshot({ path: "screenshots/users.png", fullPage: true });

  await page.getByRole("link", { name: "Groups and grants" }).click();
  const plant = page.locator('section[data-group="plant"]');
  await plant.getByLabel("Grant to").selectOption(`user:${MEMBER}`);
  await plant.getByRole("button", { name: "Grant in plant" }).click();
  await expect(plant.locator("ul.grants li")).toHaveText(/^member1: Viewer/);
  await expect(page.locator('section[data-group="yard"] ul.grants')).toHaveCount(0);
  await accessible(page);
  await page.screenshot({ path: "screenshots/groups.png", fullPage: true });
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();

  await logInByKeyboard(page, MEMBER_PASSWORD, MEMBER);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await expect(page.getByRole("heading", { level: 2 })).toHaveCount(1);
  await expect(page.getByRole("heading", { level: 2 })).toContainText("plant");
  await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Groups and grants" })).toHaveCount(0);
  await page.screenshot({ path: "screenshots/member-monitor.png", fullPage: true });
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();

  // The other tests' fixture as it was: one group.
  const login = await page.request.post("/v1/login", { data: { account, user, password } });
  const { token } = await login.json();
  const gone = await page.request.delete("/v1/groups/yard", { headers: { Authorization: `Bearer ${token}` } });
  expect(gone.status()).toBe(200);
});
