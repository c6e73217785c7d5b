import { Migration } from '@mikro-orm/migrations';

/**
 * Access-token revocation and sign-in lifetime: a per-user token version (raised by role changes;
 * access tokens carry it as `ver`), when each refresh-token family began (its absolute lifetime
 * counts from there), and indexes for deleting rows that can no longer be used.
 */
export class Migration20261210000000_sessions extends Migration {
  override up(): void {
    this.addSql(`alter table "auth"."users" add column "token_version" integer not null default 0;`);
    this.addSql(`alter table "auth"."refresh_tokens" add column "family_started_at" timestamptz null;`);
    // Existing families began when their first token was issued.
    this.addSql(`
      update "auth"."refresh_tokens" t set "family_started_at" = f.started
      from (select "family_id", min("created_at") as started from "auth"."refresh_tokens" group by "family_id") f
      where t."family_id" = f."family_id";`);
    // The default only serves replicas still running the previous version during a rolling
    // deploy (their inserts do not name the column); this version always sets it.
    this.addSql(`alter table "auth"."refresh_tokens" alter column "family_started_at" set default now(), alter column "family_started_at" set not null;`);
    this.addSql(`create index "refresh_tokens_expires_at_index" on "auth"."refresh_tokens" ("expires_at");`);
    this.addSql(`create index "refresh_tokens_family_started_at_index" on "auth"."refresh_tokens" ("family_started_at");`);
    this.addSql(`create index "refresh_tokens_revoked_at_index" on "auth"."refresh_tokens" ("revoked_at") where "revoked_at" is not null;`);
  }

  override down(): void {
    this.addSql(`drop index if exists "auth"."refresh_tokens_revoked_at_index";`);
    this.addSql(`drop index if exists "auth"."refresh_tokens_family_started_at_index";`);
    this.addSql(`drop index if exists "auth"."refresh_tokens_expires_at_index";`);
    this.addSql(`alter table "auth"."refresh_tokens" drop column if exists "family_started_at";`);
    this.addSql(`alter table "auth"."users" drop column if exists "token_version";`);
  }
}
