// The drive, as a person uses it: a folder made and opened, a small file and one too
// long for a single PUT (sent in parts) uploaded straight to the bucket under its CORS
// rules, each downloaded byte for byte under its own name, a file moved and renamed, a
// folder deleted with what it holds.
import { readFile } from "node:fs/promises";
import { expect, test, type Page } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

const REPORT = "März report.csv";
const REPORT_BYTES = Buffer.from("time,CH1\r\n2026-12-04T10:00:00+09:00,21.5\r\n");
/** Longer than one 8 MiB part: uploaded in two. */
const LARGE = "logger dump.bin";
const LARGE_BYTES = Buffer.alloc(8 * 1024 * 1024 + 123_457, 0);
for (let i = 0; i < LARGE_BYTES.length; i += 4096) LARGE_BYTES[i] = (i / 4096) % 251;

async function downloaded(page: Page, name: string): Promise<{ saved: string; bytes: Buffer }> {
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: `Download ${name}` }).click();
  const file = await download;
  return { saved: file.suggestedFilename(), bytes: await readFile(await file.path()) };
}

test("files upload with their progress, download as they were, move, and go with their folder", async ({ page }) => {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Drive" }).click();
  await expect(page.getByRole("heading", { name: "Drive", level: 1 })).toBeFocused();
  await expect(page.getByText("No files here yet.")).toBeVisible();

  await page.getByLabel("New folder").fill("reports");
  await page.getByRole("button", { name: "Make folder" }).click();
  await page.getByRole("list", { name: "Folders" }).getByRole("button", { name: "reports" }).click();
  await expect(page.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "reports" })).toHaveAttribute(
    "aria-current",
    "location",
  );

  // The bars show the bytes sent as the browser reports them, to the last.
  const uploads = page.getByRole("list", { name: "Uploads" });
  await page.getByLabel("Upload files").setInputFiles([
    { name: REPORT, mimeType: "text/csv", buffer: REPORT_BYTES },
    { name: LARGE, mimeType: "application/octet-stream", buffer: LARGE_BYTES },
  ]);
  await expect(uploads.getByText(`${REPORT}: uploaded`)).toBeVisible({ timeout: 30_000 });
  await expect(uploads.getByText(`${LARGE}: uploaded`)).toBeVisible({ timeout: 30_000 });
  await expect(uploads.getByRole("progressbar", { name: LARGE })).toHaveAttribute("value", String(LARGE_BYTES.length));
  await expect(page.locator(`tr[data-file="${REPORT}"] td.number`)).toHaveText("42 B");
  await expect(page.locator(`tr[data-file="${LARGE}"] td.number`)).toHaveText("8.5 MB");
  await accessible(page);
  await page.screenshot({ path: "screenshots/drive.png", fullPage: true });

  const report = await downloaded(page, REPORT);
  expect(report.saved).toBe(REPORT);
  expect(report.bytes.equals(REPORT_BYTES)).toBe(true);
  const large = await downloaded(page, LARGE);
  expect(large.saved).toBe(LARGE);
  expect(large.bytes.equals(LARGE_BYTES)).toBe(true);

  // A CSV offers its import into the time series, which Standard refuses in the API's
  // words; other files do not offer it.
  await expect(page.getByRole("button", { name: `Import ${LARGE} into the time series` })).toHaveCount(0);
  await page.getByRole("button", { name: `Import ${REPORT} into the time series` }).click();
  const importing = page.locator("form", { has: page.getByRole("heading", { name: `Import ${REPORT} into the time series` }) });
  await expect(importing.getByRole("heading")).toBeFocused();
  await importing.getByLabel("Instrument's serial").fill("LR-9");
  await importing.getByRole("button", { name: "Start the import" }).click();
  await expect(importing.getByRole("alert")).toHaveText("plan standard does not import measurement data from files; Pro does");
  await accessible(page);
  await importing.getByRole("button", { name: "Close" }).click();
  await expect(importing).toHaveCount(0);

  // Moved to the top folder, renamed on the way.
  await page.getByRole("button", { name: `Move or rename ${REPORT}` }).click();
  await page.getByRole("textbox", { name: "Name", exact: true }).fill("report.csv");
  await page.getByLabel("Folder (blank for the top folder)").fill("");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(`tr[data-file="${REPORT}"]`)).toHaveCount(0);
  await expect(page.locator(`tr[data-file="${LARGE}"]`)).toHaveCount(1);

  // The folder goes with the file still in it; the page returns to the top.
  await page.getByRole("button", { name: "Delete reports" }).click();
  await expect(page.getByRole("button", { name: "Delete reports for good" })).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("list", { name: "Folders" })).toHaveCount(0);
  await expect(page.getByRole("navigation", { name: "Folder path" }).getByRole("button", { name: "Top folder" })).toHaveAttribute(
    "aria-current",
    "location",
  );
  await expect(page.locator(`tr[data-file="report.csv"]`)).toHaveCount(1);
  expect((await downloaded(page, "report.csv")).bytes.equals(REPORT_BYTES)).toBe(true);

  await page.getByRole("button", { name: "Delete report.csv" }).click();
  await page.getByRole("button", { name: "Delete report.csv for good" }).click();
  await expect(page.getByText("No files here yet.")).toBeVisible();
});
