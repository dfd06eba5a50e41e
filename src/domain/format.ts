import type { Channel, Lang } from './verdicts.ts';

/**
 * Formatting for buyer-facing text. Plain Intl, no library, so the same output comes from Node and
 * Workers. Buyers read Beijing time by default because that is the time on their payment receipt.
 */

export const DEFAULT_TZ = 'Asia/Shanghai';

/** Integer fen -> `¥100.00`. Integer arithmetic, so 0.1 + 0.2 style errors cannot appear. */
export function formatMoney(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const yuan = Math.floor(abs / 100);
  const fen = String(abs % 100).padStart(2, '0');
  return `${sign}¥${yuan}.${fen}`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();

function timeFormat(tz: string): Intl.DateTimeFormat {
  let fmt = timeFormats.get(tz);
  if (!fmt) {
    // h23, not h24: midnight must read 00:00, never 24:00
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(tz, fmt);
  }
  return fmt;
}

/** timeFormat's text, `2026-11-22, 09:41` */
const EN_CA = /^(\d{4})-(\d{2})-(\d{2}),? (\d{2}):(\d{2})$/;

/**
 * ISO-8601 instant -> `2026-11-22 09:41` in `tz`. A value that is not a valid instant comes back
 * unchanged: an explanation must never throw because one upstream sent an odd timestamp.
 */
export function formatTime(iso: string, tz: string = DEFAULT_TZ): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  // format() and five numbers picked from its text: a third of formatToParts' cost (an object per
  // part), which a check pays for every time in its explanation. en-CA reads `2026-11-22, 09:41`;
  // the fallback keeps the parts route for an ICU that ever lays it out otherwise.
  const fmt = timeFormat(tz);
  const m = EN_CA.exec(fmt.format(date));
  if (m) return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  const parts: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** Adds minutes to an ISO instant and returns the result as ISO (UTC). */
export function addMinutes(iso: string, minutes: number): string {
  return new Date(new Date(iso).getTime() + minutes * 60_000).toISOString();
}

/** Where a buyer finds the money: the payment app they used. EPay merchants front many channels. */
const CHANNEL_NAMES: Record<Channel, Record<Lang, string>> = {
  alipay: { 'zh-CN': '支付宝', en: 'Alipay' },
  wechat: { 'zh-CN': '微信支付', en: 'WeChat Pay' },
  epay: { 'zh-CN': '原支付渠道', en: 'the original payment channel' },
};

export function channelName(channel: Channel | string | undefined, lang: Lang): string {
  const known = channel ? CHANNEL_NAMES[channel as Channel] : undefined;
  if (known) return known[lang];
  return lang === 'zh-CN' ? '原支付渠道' : 'the original payment channel';
}
