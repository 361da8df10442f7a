// "Open now" from a branch's opening hours ({mon: [["08:00","23:59"]], …}) in its own time zone.
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export type OpeningHours = Record<string, [string, string][]>;

/** Day key and "HH:MM" of an instant in a time zone. */
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

export function localTime(at: Date, timeZone: string): { day: string; hm: string } {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    zoneFormats.set(timeZone, f);
  }
  const parts = f.formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: get('weekday').toLowerCase().slice(0, 3), hm: `${get('hour')}:${get('minute')}` };
}

export function isOpen(hours: OpeningHours | null | undefined, timeZone: string, at = new Date()): boolean {
  if (!hours) return false;
  const { day, hm } = localTime(at, timeZone);
  return (hours[day] ?? []).some(([from, to]) => (from <= to ? hm >= from && hm < to : hm >= from || hm < to));
}

export function weekRows(hours: OpeningHours | null | undefined): { day: string; spans: string }[] {
  return DAYS.map((d) => ({ day: d, spans: (hours?.[d] ?? []).map(([a, b]) => `${a}–${b}`).join(', ') }));
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The weekday's name ("sun"…"sat") in a language. */
export function dayName(loc: string, day: string): string {
  let f = dayFormats.get(loc);
  if (!f) {
    f = new Intl.DateTimeFormat(loc, { weekday: 'long', timeZone: 'UTC' });
    dayFormats.set(loc, f);
  }
  // 2026-11-22 was a Sunday.
  return f.format(new Date(Date.UTC(2026, 10, 22 + DAYS.indexOf(day as (typeof DAYS)[number]))));
}
