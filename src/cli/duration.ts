/**
 * Seconds as a terminal reads them: `42 s`, `16 min 30 s`, `27 h 47 min`. Rounded up (to the
 * second, or to the minute past an hour), so a time left never reads shorter than it is and a
 * line never shows `60 s` or `60 min`.
 */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  const minutes = Math.ceil(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
