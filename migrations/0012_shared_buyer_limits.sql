CREATE TABLE "buyer_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"value" double precision NOT NULL,
	"at" double precision NOT NULL,
	"expires" double precision NOT NULL
);
--> statement-breakpoint
CREATE INDEX "buyer_limits_expires_idx" ON "buyer_limits" USING btree ("expires");