import { describe, expect, it } from 'vitest';
import { progressLine } from '../../src/cli/progress.ts';
import { formatDuration } from '../../src/cli/duration.ts';

describe('the sweep progress bar', () => {
  it('shows done of total, percent, rate and time left', () => {
    expect(progressLine({ done: 420, total: 1000, elapsedMs: 2000 })).toBe('[████████░░░░░░░░░░░░]   420/1000  42%  210/s  ~3 s left');
  });

  it('counts minutes and hours left on big sweeps', () => {
    expect(progressLine({ done: 1000, total: 100_000, elapsedMs: 10_000 })).toMatch(/1000\/100000  1%  100\/s  ~16 min 30 s left$/);
    expect(progressLine({ done: 10, total: 100_000, elapsedMs: 10_000 })).toMatch(/~27 h 47 min left$/);
  });

  it('is a plain count when the estimate is unknown or passed (other sweepers, new orders)', () => {
    expect(progressLine({ done: 12, total: 0, elapsedMs: 4000 })).toBe('sweep: 12 orders  3.0/s');
    expect(progressLine({ done: 1200, total: 1000, elapsedMs: 4000 })).toBe('sweep: 1200 orders  300/s');
  });

  it('has no rate or time left before the first order', () => {
    expect(progressLine({ done: 0, total: 50, elapsedMs: 0 })).toBe('[░░░░░░░░░░░░░░░░░░░░]   0/50  0%  0.0/s');
  });
});

describe('durations on the terminal', () => {
  it.each([
    [2.2, '3 s'],
    [59.5, '1 min 0 s'],
    [119.5, '2 min 0 s'],
    [990, '16 min 30 s'],
    [3599.5, '1 h 0 min'],
    [7170, '2 h 0 min'],
    [99990, '27 h 47 min'],
  ])('%d s reads %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
