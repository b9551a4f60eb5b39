import { describe, expect, test } from "vitest";
import { fromWallClock, toWallClock } from "./time";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("wall-clock times in the account's zone", () => {
  test("Tokyo is nine hours ahead of UTC, whatever zone runs the code", () => {
    expect(fromWallClock("2026-03-01T10:00", "Asia/Tokyo")).toBe(Date.UTC(2026, 2, 1, 1, 0));
    expect(toWallClock(Date.UTC(2026, 2, 1, 1, 0), "Asia/Tokyo")).toBe("2026-03-01T10:00");
  });

  test("summer and winter time each take their own offset", () => {
    expect(fromWallClock("2026-07-01T12:00", "America/New_York")).toBe(Date.UTC(2026, 6, 1, 16, 0));
    expect(fromWallClock("2026-01-15T12:00", "America/New_York")).toBe(Date.UTC(2026, 0, 15, 17, 0));
    expect(fromWallClock("2026-07-01T12:00", "Europe/Berlin")).toBe(Date.UTC(2026, 6, 1, 10, 0));
  });

  test("a wall time the clocks skip is read past the gap", () => {
    // New York goes from 02:00 EST to 03:00 EDT on 2026-03-08: 02:30 is 03:30 EDT.
    expect(fromWallClock("2026-03-08T02:30", "America/New_York")).toBe(Date.UTC(2026, 2, 8, 7, 30));
    expect(toWallClock(Date.UTC(2026, 2, 8, 7, 30), "America/New_York")).toBe("2026-03-08T03:30");
  });

  test("every hour of a year goes to the wall clock and back, but for the hour the clocks repeat", () => {
    for (const zone of ["America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "UTC"]) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += HOUR + 7 * MINUTE) {
        const instant = t - (t % MINUTE);
        const wall = toWallClock(instant, zone);
        const back = fromWallClock(wall, zone);
        // A repeated wall time names two instants; either reads back as the same wall time.
        if (back !== instant) expect(toWallClock(back!, zone)).toBe(wall);
        expect(Math.abs(back! - instant)).toBeLessThanOrEqual(HOUR);
      }
    }
  });

  test("what is not a wall-clock time is null", () => {
    for (const text of ["", "2026-03-01", "2026-13-01T10:00", "2026-04-31T10:00", "2026-03-01T24:00", "soon"]) {
      expect(fromWallClock(text, "UTC")).toBeNull();
    }
  });
});
