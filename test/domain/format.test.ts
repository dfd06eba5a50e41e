import { describe, expect, it } from 'vitest';
import { addMinutes, channelName, formatMoney, formatTime } from '../../src/domain/format.ts';

describe('formatMoney', () => {
  it.each([
    [10000, '¥100.00'],
    [9900, '¥99.00'],
    [1, '¥0.01'],
    [0, '¥0.00'],
    [123456, '¥1234.56'],
    [-500, '-¥5.00'],
  ])('%i fen -> %s', (cents, shown) => expect(formatMoney(cents)).toBe(shown));
});

describe('formatTime', () => {
  it('shows Beijing time by default', () => {
    expect(formatTime('2026-11-22T01:41:10Z')).toBe('2026-11-22 09:41');
    expect(formatTime('2026-11-22T09:41:59+08:00')).toBe('2026-11-22 09:41');
  });
  it('crosses the date line into the next Beijing day', () => {
    expect(formatTime('2026-11-22T16:30:00Z')).toBe('2026-11-23 00:30');
  });
  it('shows midnight as 00:00, never 24:00', () => {
    expect(formatTime('2026-11-22T16:00:00Z')).toBe('2026-11-23 00:00');
  });
  it('honours another time zone', () => {
    expect(formatTime('2026-11-22T01:41:10Z', 'UTC')).toBe('2026-11-22 01:41');
  });
  it('passes an unparsable value through instead of throwing', () => {
    expect(formatTime('soon')).toBe('soon');
  });
});

describe('addMinutes / channelName', () => {
  it('adds minutes to an instant', () => {
    expect(addMinutes('2026-11-22T09:50:00+08:00', 10)).toBe('2026-11-22T02:00:00.000Z');
  });
  it('names the channel a buyer paid with', () => {
    expect(channelName('alipay', 'zh-CN')).toBe('支付宝');
    expect(channelName('wechat', 'en')).toBe('WeChat Pay');
    expect(channelName('epay', 'zh-CN')).toBe('原支付渠道');
    expect(channelName(undefined, 'en')).toBe('the original payment channel');
  });
});
