import { outboxTableSql } from '@ai-teacher/shared';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203160000_init extends Migration {
  override up(): void {
    this.addSql(`
      create table "notification"."notifications" (
        "id" uuid primary key,
        "event_id" uuid not null,
        "user_id" uuid not null,
        "kind" text not null,
        "title" text not null,
        "body" text not null,
        "course_id" uuid null,
        "data" jsonb not null default '{}',
        "in_app" boolean not null,
        "email" boolean not null,
        "email_status" text null check ("email_status" in ('PENDING', 'SENT', 'REJECTED', 'FAILED')),
        "email_error" text null,
        "read_at" timestamptz null,
        "created_at" timestamptz not null,
        constraint "notifications_once_per_user" unique ("event_id", "user_id")
      );`);
    // The feed: newest first per user; unread counts.
    this.addSql(`create index "notifications_feed_index" on "notification"."notifications" ("user_id", "created_at" desc, "id" desc) where "in_app";`);
    this.addSql(`create index "notifications_unread_index" on "notification"."notifications" ("user_id") where "in_app" and "read_at" is null;`);
    this.addSql(`
      create table "notification"."preferences" (
        "user_id" uuid not null,
        "kind" text not null,
        "in_app" boolean not null,
        "email" boolean not null,
        "updated_at" timestamptz not null,
        primary key ("user_id", "kind")
      );`);
    // Announcements are events of this subgraph: they go through its own outbox.
    for (const sql of outboxTableSql('notification')) this.addSql(sql);
  }
}
