/** moved to ../mysql/clock.ts (shared with acg-faka); re-exported for the callers that import it from here */
export { readClock, utcOffset, type ClockReport } from '../mysql/clock.ts';
