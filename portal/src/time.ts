// Times as the account reads them: in its time zone and language, whatever zone the
// browser is in.
import type { Language } from "./i18n";

export function formatTime(millis: number, language: Language, timeZone: string): string {
  return new Intl.DateTimeFormat(language, {
    timeZone,
    dateStyle: "short",
    timeStyle: "medium",
  }).format(new Date(millis));
}

/** A license's day (its expiry, the next day its plan may change): a China Standard Time
 * day, as the operator's contracts count them, told as a date alone; `when` is an
 * instant on that day or the day itself, `YYYY-MM-DD`. */
export function formatChinaDay(when: number | string, language: Language): string {
  const [instant, timeZone] =
    typeof when === "number" ? [new Date(when), "Asia/Shanghai"] : [new Date(`${when}T00:00:00Z`), "UTC"];
  return new Intl.DateTimeFormat(language, { timeZone, dateStyle: "medium" }).format(instant);
}

// Making a formatter costs far more than using one: one per zone, kept.
const wallClocks = new Map<string, Intl.DateTimeFormat>();

function wallClock(timeZone: string): Intl.DateTimeFormat {
  let clock = wallClocks.get(timeZone);
  if (!clock) {
    clock = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    wallClocks.set(timeZone, clock);
  }
  return clock;
}

/** How far `timeZone`'s wall clock is ahead of UTC at `millis`, in milliseconds. */
function offsetAt(millis: number, timeZone: string): number {
  const parts = wallClock(timeZone).formatToParts(new Date(millis));
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
  return wall - Math.floor(millis / 1000) * 1000;
}

/** A wall-clock time as an `<input type="datetime-local">` holds it, in `timeZone`. */
export function toWallClock(millis: number, timeZone: string): string {
  const wall = new Date(millis + offsetAt(millis, timeZone));
  return wall.toISOString().slice(0, 16);
}

/**
 * The instant a wall-clock time (`2026-12-04T09:30`) names in `timeZone`, or null when
 * the text is not one. A wall time the clocks repeat gets one of its two instants; one
 * they skip (02:30 when they go from 02:00 to 03:00) is read as the clocks would have
 * shown it without the change (03:30), as calendars do.
 */
export function fromWallClock(wall: string, timeZone: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
  if (!match) return null;
  const [year, month, day, hour, minute] = match.slice(1).map(Number);
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // Date.UTC carries a 13th month or a 31st of April over; a real date reads back as given.
  if (Number.isNaN(asUtc) || new Date(asUtc).toISOString().slice(0, 16) !== wall) return null;
  // The offset of the zone near that time, then again at the instant it gives: the
  // second guess is right unless the first crossed a change of clocks.
  const first = asUtc - offsetAt(asUtc, timeZone);
  const second = asUtc - offsetAt(first, timeZone);
  // Only a skipped wall time fails to read back; the offset from before the change
  // then carries it past the gap.
  return toWallClock(second, timeZone) === wall ? second : first;
}
