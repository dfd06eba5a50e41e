CREATE TABLE "console_applies" (
	"diagnosis_id" text PRIMARY KEY NOT NULL,
	"order_no" text NOT NULL,
	"agent_id" integer NOT NULL,
	"confirmed_at" timestamp with time zone NOT NULL,
	"result_diagnosis_id" text
);
--> statement-breakpoint
CREATE TABLE "console_sessions" (
	"id_hash" text PRIMARY KEY NOT NULL,
	"agent_id" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"ip" text
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "role" text DEFAULT 'agent' NOT NULL;--> statement-breakpoint
ALTER TABLE "console_applies" ADD CONSTRAINT "console_applies_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_sessions" ADD CONSTRAINT "console_sessions_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_sessions_agent_idx" ON "console_sessions" USING btree ("agent_id");--> statement-breakpoint
CREATE INDEX "orders_contact_idx" ON "orders" USING btree (lower("contact"));