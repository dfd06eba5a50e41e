-- Closed orders stay in sweep_queue (done_at set) instead of moving to sweep_done: a sweeper whose
-- selection began before another closed an order then meets its row and cannot queue it again.
ALTER TABLE "sweep_queue" ADD COLUMN "done_at" timestamp with time zone;--> statement-breakpoint
INSERT INTO "sweep_queue" ("order_no", "reason", "attempts", "next_at", "enqueued_at", "last_verdict", "done_at")
  SELECT d."order_no", 'done', 0, d."done_at", d."done_at", d."verdict", d."done_at" FROM "sweep_done" d
  ON CONFLICT ("order_no") DO UPDATE SET "last_verdict" = excluded."last_verdict", "done_at" = excluded."done_at",
    "lease_until" = NULL, "leased_by" = NULL;--> statement-breakpoint
DROP TABLE "sweep_done" CASCADE;--> statement-breakpoint
DROP INDEX "sweep_queue_next_idx";--> statement-breakpoint
CREATE INDEX "sweep_queue_due_idx" ON "sweep_queue" USING btree ("next_at") WHERE "sweep_queue"."done_at" is null;
