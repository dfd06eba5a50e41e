CREATE TABLE "agents" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"order_no" text,
	"diagnosis_id" text,
	"detail" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "diagnoses" (
	"id" text PRIMARY KEY NOT NULL,
	"order_no" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"verdict" text NOT NULL,
	"action" text NOT NULL,
	"suggested" text,
	"findings" jsonb NOT NULL,
	"facts" jsonb NOT NULL,
	"explanation" jsonb NOT NULL,
	"ticket_number" text,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issued_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" bigint NOT NULL,
	"order_quantity" integer NOT NULL,
	"slot" integer NOT NULL,
	"stock_key_id" bigint,
	"secret_enc" text NOT NULL,
	"secret_hash" text NOT NULL,
	"status" text NOT NULL,
	"replacement" boolean DEFAULT false NOT NULL,
	"source" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"voided_at" timestamp with time zone,
	"diagnosis_id" text,
	CONSTRAINT "issued_keys_slot_in_range" CHECK ("issued_keys"."slot" between 1 and "issued_keys"."order_quantity")
);
--> statement-breakpoint
CREATE TABLE "legacy_orders" (
	"order_no" text PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"amount_cents" integer NOT NULL,
	"status" text NOT NULL,
	"paid_at" timestamp with time zone,
	"query_secret_hash" text NOT NULL,
	"keys_enc" text NOT NULL,
	"key_count" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "migration_ledger" (
	"legacy_order_no" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"batch" text,
	"eta" timestamp with time zone,
	"new_order_no" text
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_no" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"amount_cents" integer NOT NULL,
	"channel" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"trade_no" text,
	"query_secret_hash" text NOT NULL,
	"contact" text,
	CONSTRAINT "orders_id_quantity_uq" UNIQUE("id","quantity"),
	CONSTRAINT "orders_quantity_positive" CHECK ("orders"."quantity" > 0),
	CONSTRAINT "orders_amount_nonnegative" CHECK ("orders"."amount_cents" >= 0)
);
--> statement-breakpoint
CREATE TABLE "products" (
	"sku" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"price_cents" integer NOT NULL,
	"fulfilment" text NOT NULL,
	"delivery_window_minutes" integer NOT NULL,
	"max_replacements" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_answers" (
	"order_no" text NOT NULL,
	"kind" text NOT NULL,
	"trade_no" text,
	"answer" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stock_keys" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sku" text NOT NULL,
	"secret_enc" text NOT NULL,
	"secret_hash" text NOT NULL,
	"status" text DEFAULT 'available' NOT NULL,
	"added_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sweep_queue" (
	"order_no" text PRIMARY KEY NOT NULL,
	"reason" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_at" timestamp with time zone NOT NULL,
	"lease_until" timestamp with time zone,
	"leased_by" text,
	"enqueued_at" timestamp with time zone NOT NULL,
	"last_verdict" text
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"order_no" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"reason" text NOT NULL,
	"source" text NOT NULL,
	"diagnosis_id" text NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "issued_keys" ADD CONSTRAINT "issued_keys_stock_key_id_stock_keys_id_fk" FOREIGN KEY ("stock_key_id") REFERENCES "public"."stock_keys"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issued_keys" ADD CONSTRAINT "issued_keys_order_id_order_quantity_orders_id_quantity_fk" FOREIGN KEY ("order_id","order_quantity") REFERENCES "public"."orders"("id","quantity") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_keys" ADD CONSTRAINT "stock_keys_sku_products_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."products"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agents_token_hash_uq" ON "agents" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "audit_log_order_idx" ON "audit_log" USING btree ("order_no","at");--> statement-breakpoint
CREATE INDEX "diagnoses_order_idx" ON "diagnoses" USING btree ("order_no","started_at");--> statement-breakpoint
CREATE INDEX "diagnoses_started_idx" ON "diagnoses" USING btree ("started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "issued_keys_valid_slot_uq" ON "issued_keys" USING btree ("order_id","slot") WHERE "issued_keys"."status" = 'delivered';--> statement-breakpoint
CREATE UNIQUE INDEX "issued_keys_valid_secret_uq" ON "issued_keys" USING btree ("secret_hash") WHERE "issued_keys"."status" = 'delivered';--> statement-breakpoint
CREATE UNIQUE INDEX "issued_keys_stock_key_uq" ON "issued_keys" USING btree ("stock_key_id");--> statement-breakpoint
CREATE INDEX "issued_keys_order_idx" ON "issued_keys" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "migration_ledger_new_order_idx" ON "migration_ledger" USING btree ("new_order_no");--> statement-breakpoint
CREATE UNIQUE INDEX "orders_order_no_uq" ON "orders" USING btree ("order_no");--> statement-breakpoint
CREATE INDEX "orders_trade_no_idx" ON "orders" USING btree ("trade_no");--> statement-breakpoint
CREATE INDEX "orders_status_created_idx" ON "orders" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_answers_uq" ON "sandbox_answers" USING btree ("order_no","kind");--> statement-breakpoint
CREATE INDEX "sandbox_answers_trade_idx" ON "sandbox_answers" USING btree ("trade_no");--> statement-breakpoint
CREATE UNIQUE INDEX "stock_keys_secret_hash_uq" ON "stock_keys" USING btree ("secret_hash");--> statement-breakpoint
CREATE INDEX "stock_keys_available_idx" ON "stock_keys" USING btree ("sku","id") WHERE "stock_keys"."status" = 'available';--> statement-breakpoint
CREATE INDEX "sweep_queue_next_idx" ON "sweep_queue" USING btree ("next_at");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_number_uq" ON "tickets" USING btree ("number");--> statement-breakpoint
CREATE UNIQUE INDEX "tickets_one_open_per_order_uq" ON "tickets" USING btree ("order_no") WHERE "tickets"."status" = 'open';