CREATE TABLE "sweep_done" (
	"order_no" text PRIMARY KEY NOT NULL,
	"verdict" text NOT NULL,
	"done_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sweep_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"sweeper_id" text NOT NULL,
	"dry_run" boolean DEFAULT false NOT NULL,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"picked" integer DEFAULT 0 NOT NULL,
	"by_reason" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"by_verdict" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"by_action" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE INDEX "sweep_runs_started_idx" ON "sweep_runs" USING btree ("started_at");