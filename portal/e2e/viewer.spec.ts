// The time-series viewer, as a person uses it: four channels of the seeded instrument
// over the last hour (tests/portal seeds a record a minute, CH4 flat but for one spike),
// as a graph and as a list, zoomed by dragging across the graph and back, preset and
// free ranges (the latter in the account's time zone, not the browser's).
import { expect, test, type Page, type Request } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { accessible, logInByKeyboard, password } from "./session";
import { unzip } from "./zip";

const historyRecords = Number(process.env.FC_HISTORY_RECORDS ?? "50");
const spike = process.env.FC_SPIKE ?? "99.5";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const channel = (name: string) => `gw-a/LR-1/${name}`;

function isSeries(request: Request): boolean {
  return new URL(request.url()).pathname === "/v1/groups/plant/series";
}

function asked(request: Request) {
  const query = new URL(request.url()).searchParams;
  return { from: Number(query.get("from")), to: Number(query.get("to")), channels: query.getAll("channel") };
}

async function openViewer(page: Page) {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  await page.getByRole("link", { name: "Viewer" }).click();
  await expect(page.getByRole("heading", { name: "Viewer" })).toBeFocused();
}

test("four channels over the last hour are graphed, listed, zoomed into and out of", async ({ page }) => {
  await openViewer(page);
  const first = page.waitForRequest((request) => isSeries(request) && asked(request).channels.length === 4);
  for (const name of ["CH1", "CH2", "CH3", "CH4"]) await page.getByRole("checkbox", { name, exact: true }).check();
  const hour = asked(await first);
  expect(hour.channels).toEqual(["CH1", "CH2", "CH3", "CH4"].map(channel));
  expect(hour.to - hour.from).toBe(HOUR);

  // Every record of the hour is a point: the history, and for CH1 and CH2 the latest too.
  const legend = (name: string) => page.locator(`.legend li[data-channel="${channel(name)}"]`);
  await expect(legend("CH1")).toContainText(new RegExp(` ${historyRecords + 1} points$`));
  await expect(legend("CH4")).toContainText(new RegExp(` ${historyRecords} points$`));
  await expect(page.locator(".chart canvas")).toBeVisible();
  await accessible(page);
  await page.screenshot({ path: "screenshots/viewer-graph.png", fullPage: true });

  await page.getByRole("button", { name: "List" }).click();
  await expect(page.locator(".list tbody tr")).toHaveCount(historyRecords + 1);
  await expect(page.getByRole("cell", { name: spike, exact: true })).toBeVisible();
  await expect(page.getByRole("cell", { name: "Over range (+)", exact: true })).toBeVisible();
  await accessible(page);
  await page.screenshot({ path: "screenshots/viewer-list.png", fullPage: true });

  // Dragging across the middle quarter of the graph asks the API for that span alone.
  await page.getByRole("button", { name: "Graph" }).click();
  const plot = (await page.locator(".chart .u-over").boundingBox())!;
  // (The graph's first drawing may ask again for its plot's exact width: the zoom is the
  // request for another range.)
  const zoomed = page.waitForRequest((request) => isSeries(request) && asked(request).from !== hour.from);
  await page.mouse.move(plot.x + plot.width * 0.25, plot.y + plot.height / 2);
  await page.mouse.down();
  await page.mouse.move(plot.x + plot.width * 0.5, plot.y + plot.height / 2, { steps: 5 });
  await page.mouse.up();
  const span = asked(await zoomed);
  expect(span.from).toBeGreaterThan(hour.from + 10 * MINUTE);
  expect(span.to).toBeLessThan(hour.to - 25 * MINUTE);
  expect(span.to - span.from).toBeGreaterThan(10 * MINUTE);
  expect(span.to - span.from).toBeLessThan(20 * MINUTE);
  // Fewer records lie in it (one a minute), each still a point of its own.
  await expect(legend("CH3")).toContainText(/ (1[0-9]|20) points$/);
  await page.screenshot({ path: "screenshots/viewer-zoomed.png", fullPage: true });

  const unzoomed = page.waitForRequest((request) => isSeries(request) && asked(request).from === hour.from);
  await page.getByRole("button", { name: "Back" }).click();
  expect(asked(await unzoomed)).toEqual(hour);
  await expect(legend("CH4")).toContainText(new RegExp(` ${historyRecords} points$`));
  await expect(page.getByRole("button", { name: "Back" })).toBeDisabled();

  const day = page.waitForRequest((request) => isSeries(request) && asked(request).to - asked(request).from > HOUR);
  await page.getByRole("button", { name: "Last 24 hours" }).click();
  const lastDay = asked(await day);
  expect(lastDay.to - lastDay.from).toBe(24 * HOUR);
});

/**
 * The viewer opened with the account in Tokyo's zone (nine hours ahead of the browser's
 * UTC) while `use` runs; the zone is put back after.
 */
async function inTokyo(page: Page, use: () => Promise<void>) {
  await logInByKeyboard(page, password);
  await expect(page.getByRole("heading", { name: "Monitor" })).toBeFocused();
  const token = await page.evaluate(() => sessionStorage.getItem("fieldcloud.session"));
  const headers = { Authorization: `Bearer ${token}` };
  const set = await page.request.put("/v1/account", { headers, data: { time_zone: "Asia/Tokyo" } });
  expect(set.status()).toBe(200);
  try {
    // The viewer's own address, opened afresh: the account is read again, zone and all.
    await page.goto("/viewer");
    await expect(page.getByRole("heading", { name: "Viewer" })).toBeFocused();
    await use();
  } finally {
    await page.request.put("/v1/account", { headers, data: { time_zone: "UTC" } });
  }
}

test("a free range is read in the account's time zone, and a backwards one is refused", async ({ page }) => {
  await inTokyo(page, async () => {
    await page.getByRole("checkbox", { name: "CH1", exact: true }).check();
    await expect(page.locator(".legend li")).toHaveCount(1);

    await page.getByLabel("From").fill("2026-03-01T10:00");
    await page.getByLabel("To").fill("2026-03-01T09:00");
    await page.getByLabel("To").press("Enter");
    await expect(page.getByRole("alert")).toHaveText("The range must end after it starts.");

    const free = page.waitForRequest((request) => isSeries(request) && asked(request).from < Date.UTC(2026, 3));
    await page.getByLabel("To").fill("2026-03-01T12:30");
    await page.getByLabel("To").press("Enter");
    // Tokyo is nine hours ahead of UTC; the browser runs in UTC.
    const range = asked(await free);
    expect(range.from).toBe(Date.UTC(2026, 2, 1, 1, 0));
    expect(range.to).toBe(Date.UTC(2026, 2, 1, 3, 30));
    await expect(page.getByRole("alert")).toHaveCount(0);
    await expect(page.locator(".legend li")).toContainText(/ 0 points$/);
  });
});

test("the channels shown export as a ZIP of CSV files, times in the account's zone", async ({ page }) => {
  await inTokyo(page, async () => {
    for (const name of ["CH1", "CH4"]) await page.getByRole("checkbox", { name, exact: true }).check();
    await page.getByRole("button", { name: "Export as ZIP" }).click();
    await expect(page.locator(".export [role=status]")).toHaveText(`Export ready: ${historyRecords + 1} rows in gw-a_LR-1.csv.`, {
      timeout: 30_000,
    });
    await accessible(page);
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download ZIP" }).click();
    const zip = await download;
    expect(zip.suggestedFilename()).toMatch(/\.zip$/);
    const files = unzip(await readFile(await zip.path()));
    expect([...files.keys()]).toEqual(["gw-a_LR-1.csv"]);
    const csv = files.get("gw-a_LR-1.csv")!;
    // UTF-8's byte order mark first, by which Excel reads the file as UTF-8.
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csv.subarray(3).toString("utf8").trimEnd().split("\r\n");
    expect(lines[0]).toBe(`time,${channel("CH1")},${channel("CH4")}`);
    // Every stored minute of the hour, and CH1's latest record: the seeds of tests/portal.
    expect(lines).toHaveLength(1 + historyRecords + 1);
    // Every time is written in the account's zone.
    expect(lines.slice(1).every((line) => line.split(",")[0].endsWith("+09:00"))).toBe(true);
    expect(lines.some((line) => line.endsWith(`,${spike}`))).toBe(true);
  });
});
