import { outboxTableSql } from '@ai-teacher/shared';
import { Migration } from '@mikro-orm/migrations';

export class Migration20261203150000_init extends Migration {
  override up(): void {
    this.addSql(`
      create table "exam"."exams" (
        "id" uuid primary key,
        "course_id" uuid not null,
        "title" varchar(200) not null,
        "status" text not null check ("status" in ('GENERATING', 'DRAFT', 'PUBLISHED', 'FAILED')),
        "progress" real not null default 0,
        "error" text null,
        "notice" text null,
        "generator" text not null check ("generator" in ('LLM', 'EXTRACTIVE')),
        "request" jsonb not null,
        "created_by" uuid not null,
        "opens_at" timestamptz null,
        "closes_at" timestamptz null,
        "duration_minutes" int null,
        "results_released" boolean not null default false,
        "created_at" timestamptz not null,
        "updated_at" timestamptz not null
      );`);
    this.addSql(`create index "exams_course_index" on "exam"."exams" ("course_id", "created_at" desc);`);
    this.addSql(`
      create table "exam"."exam_items" (
        "id" uuid primary key,
        "exam_id" uuid not null references "exam"."exams" ("id") on delete cascade,
        "position" int not null,
        "type" text not null check ("type" in ('MULTIPLE_CHOICE', 'SHORT_ANSWER')),
        "prompt" text not null,
        "options" jsonb not null,
        "correct_option_id" uuid null,
        "model_answer" text null,
        "rubric" jsonb not null,
        "points" real not null check ("points" > 0),
        "review" text not null check ("review" in ('PENDING', 'APPROVED', 'REJECTED')),
        "source_book_id" uuid not null,
        "source_page_start" int not null,
        "source_page_end" int not null,
        "source_quote" text not null,
        "origin" text not null
      );`);
    this.addSql(`create index "exam_items_exam_index" on "exam"."exam_items" ("exam_id", "position");`);
    this.addSql(`
      create table "exam"."attempts" (
        "id" uuid primary key,
        "exam_id" uuid not null references "exam"."exams" ("id") on delete cascade,
        "course_id" uuid not null,
        "student_id" uuid not null,
        "status" text not null check ("status" in ('IN_PROGRESS', 'SUBMITTED', 'GRADED')),
        "started_at" timestamptz not null,
        "deadline" timestamptz not null,
        "submitted_at" timestamptz null,
        "auto_submitted" boolean not null default false,
        "score" real null,
        "max_score" real not null,
        constraint "attempts_one_per_student" unique ("exam_id", "student_id")
      );`);
    this.addSql(`create index "attempts_student_course_index" on "exam"."attempts" ("student_id", "course_id") where "status" = 'IN_PROGRESS';`);
    this.addSql(`
      create table "exam"."answers" (
        "attempt_id" uuid not null references "exam"."attempts" ("id") on delete cascade,
        "item_id" uuid not null references "exam"."exam_items" ("id") on delete cascade,
        "option_id" uuid null,
        "text" text null,
        "points" real null,
        "feedback" text null,
        "needs_review" boolean not null default false,
        "saved_at" timestamptz not null,
        primary key ("attempt_id", "item_id")
      );`);
    for (const sql of outboxTableSql('exam')) this.addSql(sql);
  }
}
