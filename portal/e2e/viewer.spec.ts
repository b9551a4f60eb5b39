// The time-series viewer, as a person uses it: four channels of the seeded instrument
// over the last hour (tests/portal seeds a record a minute, CH4 flat but for one spike),
// as a graph and as a list, zoomed by dragging across the graph and back, preset and
// free ranges (the latter in the account's time zone, not the browser's).
import { expect, test, type Page, type Request } from "@playwright/test";
import { accessible, logInByKeyboard, password } from "./session";

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

test("a free range is read in the account's time zone, and a backwards one is refused", async ({ page }) => {
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
  } finally {
    await page.request.put("/v1/account", { headers, data: { time_zone: "UTC" } });
  }
});
