CREATE TABLE "push_signatures" (
	"signature" text PRIMARY KEY NOT NULL,
	"seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"delivery_key" text NOT NULL,
	"type" text NOT NULL,
	"order_no" text NOT NULL,
	"payload" jsonb NOT NULL,
	"issued_key_ids" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"retry_from" timestamp with time zone NOT NULL,
	"sending_at" timestamp with time zone,
	"last_error" text,
	"last_status" integer,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "push_signatures_expires_idx" ON "push_signatures" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_outbox_event_uq" ON "webhook_outbox" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_outbox_delivery_uq" ON "webhook_outbox" USING btree ("delivery_key");--> statement-breakpoint
CREATE INDEX "webhook_outbox_due_idx" ON "webhook_outbox" USING btree ("next_at") WHERE "webhook_outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_outbox_created_idx" ON "webhook_outbox" USING btree ("created_at");