CREATE TABLE "incidents" (
	"id" serial PRIMARY KEY NOT NULL,
	"cause_key" text NOT NULL,
	"title" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" integer,
	"closed_at" timestamp with time zone,
	"closed_by" integer
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_acknowledged_by_agents_id_fk" FOREIGN KEY ("acknowledged_by") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_closed_by_agents_id_fk" FOREIGN KEY ("closed_by") REFERENCES "public"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_one_live_per_cause_uq" ON "incidents" USING btree ("cause_key") WHERE "incidents"."status" <> 'closed';--> statement-breakpoint
CREATE INDEX "incidents_cause_closed_idx" ON "incidents" USING btree ("cause_key","closed_at");