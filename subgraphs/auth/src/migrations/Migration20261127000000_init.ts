import { Migration } from '@mikro-orm/migrations';

export class Migration20261127000000_init extends Migration {
  override up(): void {
    this.addSql(`
      create table "auth"."users" (
        "id" uuid primary key,
        "email" varchar(320) not null,
        "password_hash" varchar(255) not null,
        "role" text not null check ("role" in ('STUDENT', 'TEACHER', 'ADMIN')),
        "display_name" varchar(100) not null,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null,
        constraint "users_email_unique" unique ("email")
      );`);
    this.addSql(`
      create table "auth"."refresh_tokens" (
        "id" uuid primary key,
        "family_id" uuid not null,
        "user_id" uuid not null references "auth"."users" ("id") on delete cascade,
        "token_hash" varchar(64) not null,
        "expires_at" timestamptz not null,
        "created_at" timestamptz not null,
        "used_at" timestamptz null,
        "revoked_at" timestamptz null,
        "revoked_reason" varchar(32) null,
        constraint "refresh_tokens_token_hash_unique" unique ("token_hash")
      );`);
    this.addSql(`create index "refresh_tokens_family_id_index" on "auth"."refresh_tokens" ("family_id");`);
    this.addSql(`create index "refresh_tokens_user_id_index" on "auth"."refresh_tokens" ("user_id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "auth"."refresh_tokens";`);
    this.addSql(`drop table if exists "auth"."users";`);
  }
}
