// Dates in a site's time zone: the day of "energy today", the times shown and the CSV's local column.
import { describe, expect, it } from "vitest";
import { dayIn, dayStartIn, isoIn, isTimeZone, offsetCache, offsetIn, startOfDayIn, timeIn } from "../../gateway/time/zone";

const utc = (s: string) => Date.parse(s);

describe("dates in a site's time zone", () => {
  it("knows IANA names and refuses others", () => {
    expect(isTimeZone("Africa/Nairobi")).toBe(true);
    expect(isTimeZone("UTC")).toBe(true);
    expect(isTimeZone("Nairobi")).toBe(false);
    expect(isTimeZone("")).toBe(false);
  });
  it("shows 24-hour ISO-style times in the zone", () => {
    expect(timeIn(utc("2026-12-07T19:35:00Z"), "Africa/Nairobi")).toBe("2026-12-07 22:35");
    expect(timeIn(utc("2026-12-07T21:05:00Z"), "Africa/Nairobi")).toBe("2026-12-08 00:05");
    expect(timeIn(utc("2026-12-07T04:59:00Z"), "America/New_York")).toBe("2026-12-06 23:59");
    expect(isoIn(utc("2026-12-07T07:35:00Z"), "Asia/Kathmandu")).toBe("2026-12-07T13:20:00+05:45");
    expect(isoIn(utc("2026-12-07T07:35:00Z"), "America/New_York")).toBe("2026-12-07T02:35:00-05:00");
  });
  it("starts the site's day at its midnight, not the browser's or UTC's", () => {
    // 22:30 UTC on the 7th is already the 8th in Nairobi (UTC+3): its day began at 21:00 UTC
    expect(dayIn(utc("2026-12-07T22:30:00Z"), "Africa/Nairobi")).toBe("2026-12-08");
    expect(startOfDayIn(utc("2026-12-07T22:30:00Z"), "Africa/Nairobi")).toBe(utc("2026-12-07T21:00:00Z"));
    expect(startOfDayIn(utc("2026-12-07T22:30:00Z"), "UTC")).toBe(utc("2026-12-07T00:00:00Z"));
    expect(dayStartIn("2026-12-08", "Pacific/Kiritimati")).toBe(utc("2026-12-07T10:00:00Z"));
  });
  it("follows clock changes: a 23-hour day, a 25-hour day, a day whose midnight does not exist", () => {
    const ny = (d: string) => dayStartIn(d, "America/New_York");
    expect(ny("2026-03-09") - ny("2026-03-08")).toBe(23 * 3_600_000);
    expect(ny("2026-11-02") - ny("2026-11-01")).toBe(25 * 3_600_000);
    // Chile moves its clocks at midnight in September: that day begins at 01:00 (UTC-3)
    expect(dayStartIn("2026-09-06", "America/Santiago")).toBe(utc("2026-09-06T04:00:00Z"));
    expect(offsetIn(utc("2026-07-01T12:00:00Z"), "Europe/London")).toBe(3_600_000);
  });
  it("the cached offset equals the exact one across a clock change", () => {
    const off = offsetCache("Europe/London");
    for (let t = utc("2026-03-29T00:00:00Z"); t < utc("2026-03-29T03:00:00Z"); t += 60_000) expect(off(t)).toBe(offsetIn(t, "Europe/London"));
  });
  it("refuses a day that is not YYYY-MM-DD", () => {
    expect(() => dayStartIn("7/12/2026", "UTC")).toThrow(/YYYY-MM-DD/);
  });
});
