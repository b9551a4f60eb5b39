// An instrument's settings, as a person changes them: the live instrument LR-2 renamed,
// given a note and told to stop storing its channel; read back as saved; then put back
// (a blank name shows the serial again) for the other tests.
import { expect, test } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

test("an instrument is renamed, noted and told which channels to store", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Instruments" }).click();
  await expect(page.getByRole("heading", { name: "Instruments", level: 1 })).toBeFocused();
  const row = page.locator('tr[data-instrument="LR-2"]');
  await expect(row.locator("th")).toHaveText("LR-2");

  await row.getByRole("button", { name: "Settings of LR-2" }).click();
  const temp = page.getByRole("checkbox", { name: /^Temp/ });
  await expect(temp).toBeChecked();
  await page.getByLabel("Name").fill("Boiler");
  await page.getByLabel("Note").fill("Hall 3, by the door");
  await temp.uncheck();
  await accessible(page);
  await page.screenshot({ path: "screenshots/instrument-settings.png", fullPage: true });
  await page.getByRole("button", { name: "Save" }).click();
  await expect(row.locator("th")).toHaveText("Boiler");

  // Read back from the API as saved.
  await row.getByRole("button", { name: "Settings of Boiler" }).click();
  await expect(page.getByLabel("Name")).toHaveValue("Boiler");
  await expect(page.getByLabel("Note")).toHaveValue("Hall 3, by the door");
  await expect(temp).not.toBeChecked();

  await page.getByLabel("Name").fill("");
  await temp.check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(row.locator("th")).toHaveText("LR-2");
  await page.screenshot({ path: "screenshots/instruments.png", fullPage: true });
});
