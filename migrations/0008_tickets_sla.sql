CREATE TABLE "ticket_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" integer NOT NULL,
	"kind" text NOT NULL,
	"agent_id" integer,
	"author_name" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "tickets_one_open_per_order_uq";--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "category" text DEFAULT 'delivery' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "priority" text DEFAULT 'normal' NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "assignee_id" integer;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "first_response_minutes" integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "resolution_minutes" integer DEFAULT 120 NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "business_hours" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "first_response_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "resolution_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "first_responded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "first_response_breached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "resolution_breached_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "clock_stopped_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "paused_ms" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
-- tickets opened before SLA clocks: due_at was their first-response deadline (TICKET_SLA_MINUTES);
-- resolution is due 2 h after opening (the normal policy), never before that first response; the
-- category follows the verdict that opened them (tickets/category.ts), the buyer's own ones are delivery
UPDATE "tickets" SET
	"first_response_due_at" = "due_at",
	"first_response_minutes" = greatest(1, ceil(extract(epoch from ("due_at" - "opened_at")) / 60))::int,
	"resolution_due_at" = greatest("due_at", "opened_at" + interval '120 minutes'),
	"category" = CASE
		WHEN "reason" LIKE 'MIGRATION%' THEN 'migration'
		WHEN "reason" = 'OUT_OF_STOCK' THEN 'stock'
		WHEN "reason" IN ('PAYMENT_UNVERIFIABLE', 'AMOUNT_MISMATCH', 'UPSTREAM_UNAVAILABLE', 'NOT_PAID', 'PAYMENT_CLOSED', 'PAYMENT_FAILED', 'REFUNDED') THEN 'payment'
		WHEN "reason" = 'ORDER_NOT_FOUND' THEN 'account'
		ELSE 'delivery' END,
	"clock_stopped_at" = CASE WHEN "status" = 'resolved' THEN coalesce("resolved_at", "opened_at") END;--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "first_response_due_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ALTER COLUMN "resolution_due_at" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ticket_messages" ADD CONSTRAINT "ticket_messages_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ticket_messages_ticket_idx" ON "ticket_messages" USING btree ("ticket_id","created_at");--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_assignee_id_agents_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "tickets_active_due_idx" ON "tickets" USING btree ("due_at") WHERE "tickets"."status" <> 'resolved';--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_one_open_per_order_uq" ON "tickets" USING btree ("order_no") WHERE "tickets"."status" <> 'resolved';