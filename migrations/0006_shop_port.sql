CREATE TABLE "mail_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_key" text NOT NULL,
	"kind" text NOT NULL,
	"order_no" text NOT NULL,
	"to_address" text NOT NULL,
	"payload" jsonb NOT NULL,
	"keys_enc" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"sending_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "shop_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"shop" text NOT NULL,
	"order_no" text NOT NULL,
	"diagnosis_id" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"state" text NOT NULL,
	"prepared_at" timestamp with time zone NOT NULL,
	"settled_at" timestamp with time zone,
	"detail" jsonb NOT NULL,
	"record" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sweep_queue" ADD COLUMN "channel" text;--> statement-breakpoint
ALTER TABLE "sweep_queue" ADD COLUMN "sku" text;--> statement-breakpoint
ALTER TABLE "sweep_queue" ADD COLUMN "order_created_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "mail_outbox_delivery_uq" ON "mail_outbox" USING btree ("delivery_key");--> statement-breakpoint
CREATE INDEX "mail_outbox_due_idx" ON "mail_outbox" USING btree ("next_at") WHERE "mail_outbox"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "shop_deliveries_prepared_idx" ON "shop_deliveries" USING btree ("prepared_at") WHERE "shop_deliveries"."state" = 'prepared';--> statement-breakpoint
CREATE INDEX "shop_deliveries_order_idx" ON "shop_deliveries" USING btree ("order_no");--> statement-breakpoint
-- queued rows learn their order's channel, product and creation from the built-in store, as new rows do at selection
UPDATE "sweep_queue" q SET "channel" = o."channel", "sku" = o."sku", "order_created_at" = o."created_at"
  FROM "orders" o WHERE o."order_no" = q."order_no";
