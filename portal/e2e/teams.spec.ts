// Teams and the audit log, as an admin uses them: a team made with a colleague in it,
// renamed with its members changed, offered for grants, deleted; the log shows who did
// it from where, and narrows to one action.
import { expect, test } from "@playwright/test";
import { accessible, asAdmin, logInByKeyboard, password, user } from "./session";

const COLLEAGUE = "member2";
const TEAM = "field-team";

test.beforeEach(async ({ request }) => {
  const made = await request.post("/v1/users", {
    headers: await asAdmin(request),
    data: { user: COLLEAGUE, password: "Colleague-Secret-9", role: "member", admin_password: password },
  });
  expect(made.status()).toBe(201);
});

// What the test makes goes again however it ends: the other tests know one user.
test.afterEach(async ({ request }) => {
  const headers = await asAdmin(request);
  await request.delete(`/v1/teams/${TEAM}`, { headers });
  await request.delete(`/v1/users/${COLLEAGUE}`, { headers });
});

test("a team is made, changed, offered for grants and deleted; the audit log tells it", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Teams" }).click();
  await expect(page.getByRole("heading", { name: "Teams", level: 1 })).toBeFocused();
  await expect(page.getByText("No teams yet.")).toBeVisible();

  await page.getByLabel("Team ID").fill(TEAM);
  await page.getByLabel("Name", { exact: true }).fill("Field team");
  await page.getByRole("checkbox", { name: COLLEAGUE }).check();
  await page.getByRole("button", { name: "Create team" }).click();
  const team = page.locator(`li[data-team="${TEAM}"]`);
  await expect(team).toContainText("Field team");
  await expect(team).toContainText(`Members: ${COLLEAGUE}`);
  // The new team's form is emptied for the next.
  await expect(page.getByLabel("Team ID")).toHaveValue("");
  await accessible(page);
  await page.screenshot({ path: "screenshots/teams.png", fullPage: true });

  await team.getByRole("button", { name: "Edit Field team" }).click();
  await expect(page.getByRole("heading", { name: "Edit Field team" })).toBeFocused();
  await page.getByLabel("Name", { exact: true }).fill("Field crew");
  await page.getByRole("checkbox", { name: COLLEAGUE }).uncheck();
  await page.getByRole("checkbox", { name: user }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(team).toContainText("Field crew");
  await expect(team).toContainText(`Members: ${user}`);
  await expect(page.getByRole("alert")).toHaveCount(0);

  await page.getByRole("link", { name: "Groups and grants" }).click();
  await expect(page.locator('section[data-group="plant"]').getByLabel("Grant to")).toContainText("Field crew");

  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeFocused();
  const made = page.locator('tr[data-action="POST /v1/teams"]');
  await expect(made).toHaveCount(1);
  await expect(made).toContainText(user);
  await expect(made).toContainText("127.0.0.1");
  await expect(page.locator('tr[data-action="login"]').first()).toBeVisible();
  await page.getByLabel("Action").fill("PUT /v1/teams/{team}");
  await page.getByRole("button", { name: "Show", exact: true }).click();
  await expect(page.locator("tbody tr")).toHaveCount(1);
  await expect(page.locator("tbody tr")).toContainText(`/v1/teams/${TEAM}`);
  await accessible(page);
  await page.screenshot({ path: "screenshots/audit.png", fullPage: true });

  await page.getByRole("link", { name: "Teams" }).click();
  await team.getByRole("button", { name: "Delete Field crew" }).click();
  await page.getByRole("button", { name: "Delete Field crew for good" }).click();
  await expect(page.getByText("No teams yet.")).toBeVisible();
});
