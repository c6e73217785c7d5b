import { Migration } from '@mikro-orm/migrations';

export class Migration20261127060000_init extends Migration {
  override up(): void {
    this.addSql(`create table "tutor"."chat_sessions" (
      "id" uuid primary key,
      "user_id" uuid not null,
      "course_id" uuid not null,
      "title" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null);`);
    this.addSql(`create index "chat_sessions_user_course_index" on "tutor"."chat_sessions" ("user_id", "course_id", "created_at" desc);`);
    this.addSql(`create table "tutor"."chat_messages" (
      "id" uuid primary key,
      "session_id" uuid not null references "tutor"."chat_sessions" ("id") on delete cascade,
      "role" text not null check ("role" in ('USER', 'TUTOR')),
      "mode" text null check ("mode" in ('EXPLAIN', 'SOCRATIC', 'QUIZ_ME')),
      "content" text not null,
      "status" text not null check ("status" in ('STREAMING', 'COMPLETE', 'FAILED')),
      "answer" jsonb null,
      "error" text null,
      "last_seq" int not null default 0,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null);`);
    this.addSql(`create index "chat_messages_session_index" on "tutor"."chat_messages" ("session_id", "created_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "tutor"."chat_messages";`);
    this.addSql(`drop table if exists "tutor"."chat_sessions";`);
  }
}
