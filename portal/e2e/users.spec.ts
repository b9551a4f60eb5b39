// Users and grants, as an admin sets a colleague up: a second group, a member (a weak
// password refused first), a grant to one group only; then the member logs in and sees
// that group and no admin's pages.
import { expect, test } from "@playwright/test";
import { accessible, asAdmin, logInByKeyboard, password } from "./session";

const MEMBER = "member1";
const MEMBER_PASSWORD = "Member-Secret-9";

// What the test makes goes again however it ends: the other tests know one group and
// one user.
test.afterEach(async ({ request }) => {
  const headers = await asAdmin(request);
  await request.delete("/v1/groups/yard", { headers });
  await request.delete(`/v1/users/${MEMBER}`, { headers });
});

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
  await expect(page.getByRole("alert")).toContainText("at least 8 characters");
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
  await expect(page.locator('section[data-group="yard"]')).toContainText("Nobody but the admins yet.");
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
  // An admin's page by its address shows the monitor to a member (the API refuses it anyway).
  await page.goto("/users");
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Users" })).toHaveCount(0);
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
});
