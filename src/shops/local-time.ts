/**
 * Shops write wall-clock times in their own zone (dujiaoka: Laravel's app timezone, PRC by default)
 * into columns that carry no zone. These turn such strings into instants and back, for any IANA zone.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(zone, f);
  }
  return f;
}

function wallClock(instant: Date, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const p = Object.fromEntries(formatter(zone).formatToParts(instant).map((x) => [x.type, x.value]));
  return { y: Number(p.year), mo: Number(p.month), d: Number(p.day), h: Number(p.hour), mi: Number(p.minute), s: Number(p.second) };
}

/** `2026-11-22 09:41:10` as the shop writes it, for an instant. */
export function toShopTime(instant: Date, zone: string): string {
  const w = wallClock(instant, zone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${w.y}-${two(w.mo)}-${two(w.d)} ${two(w.h)}:${two(w.mi)}:${two(w.s)}`;
}

const SHOP_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/;

/** The instant a shop's wall-clock string names (the later one across a DST fold); null when unreadable. */
export function fromShopTime(text: string | null | undefined, zone: string): Date | null {
  const m = text ? SHOP_TIME.exec(text) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // the zone's offset at (about) that instant, applied twice to settle across a DST change
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const w = wallClock(new Date(guess), zone);
    const offset = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - guess;
    guess = asUtc - offset;
  }
  return new Date(guess);
}
