/**
 * The buyers' answers to "did this solve it?" on the check page. The feedback route writes one
 * audit row per answer, `buyer_solved` or `buyer_not_solved`; answers given before it did (only
 * "not solved" left a trace: its ticket's `ticket_opened` / `ticket_reused` row with the reason
 * `buyer_not_solved`) count too. One answer per diagnosis a buyer saw: pressing again, or the
 * ticket row beside the answer's own row, does not count twice.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { inWindow, rate } from './window-sql.ts';

/** audit actions of the feedback route; BUYER_NOT_SOLVED is also the reason of the ticket it opens */
export const BUYER_SOLVED = 'buyer_solved';
export const BUYER_NOT_SOLVED = 'buyer_not_solved';

export interface BuyerAnswers {
  solved: number;
  notSolved: number;
  /** solved / all answers */
  rate: number | null;
}

export async function buyerAnswers(database: Database, window: { since: Date; until: Date }): Promise<BuyerAnswers> {
  const [r] = await database.rows<{ solved: number; not_solved: number }>(sql`
    with answers as (
      select a.order_no || ':' || coalesce(a.diagnosis_id, '') as answer_key, a.action = ${BUYER_SOLVED} as solved
        from audit_log a
       where ${inWindow('a.at', window)}
         and (a.action in (${BUYER_SOLVED}, ${BUYER_NOT_SOLVED})
              or (a.action in ('ticket_opened', 'ticket_reused') and a.detail->>'reason' = ${BUYER_NOT_SOLVED}))
    )
    select count(distinct answer_key) filter (where solved)::int as solved,
           count(distinct answer_key) filter (where not solved)::int as not_solved
      from answers`);
  const solved = Number(r!.solved);
  const notSolved = Number(r!.not_solved);
  return { solved, notSolved, rate: rate(solved, solved + notSolved) };
}
