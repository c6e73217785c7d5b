import { Migration } from '@mikro-orm/migrations';

export class Migration20261127010000_init extends Migration {
  override up(): void {
    const s = '"academic"';
    this.addSql(`create table ${s}."faculties" (
      "id" uuid primary key, "name" varchar(200) not null, "created_at" timestamptz not null);`);
    this.addSql(`create unique index "faculties_name_unique" on ${s}."faculties" (lower("name"));`);
    this.addSql(`create table ${s}."departments" (
      "id" uuid primary key, "faculty_id" uuid not null references ${s}."faculties" ("id") on delete cascade,
      "name" varchar(200) not null, "created_at" timestamptz not null);`);
    this.addSql(`create unique index "departments_faculty_name_unique" on ${s}."departments" ("faculty_id", lower("name"));`);
    this.addSql(`create table ${s}."semesters" (
      "id" uuid primary key, "department_id" uuid not null references ${s}."departments" ("id") on delete cascade,
      "name" varchar(200) not null, "created_at" timestamptz not null);`);
    this.addSql(`create unique index "semesters_department_name_unique" on ${s}."semesters" ("department_id", lower("name"));`);
    this.addSql(`create table ${s}."courses" (
      "id" uuid primary key, "semester_id" uuid not null references ${s}."semesters" ("id") on delete cascade,
      "code" varchar(32) not null, "title" varchar(300) not null, "created_at" timestamptz not null,
      constraint "courses_semester_code_unique" unique ("semester_id", "code"));`);
    this.addSql(`create table ${s}."books" (
      "id" uuid primary key, "course_id" uuid not null references ${s}."courses" ("id") on delete cascade,
      "title" varchar(500) not null, "authors" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null);`);
    this.addSql(`create index "books_course_id_index" on ${s}."books" ("course_id");`);
    this.addSql(`create table ${s}."course_teachers" (
      "course_id" uuid not null references ${s}."courses" ("id") on delete cascade, "user_id" uuid not null,
      "created_at" timestamptz not null, primary key ("course_id", "user_id"));`);
    this.addSql(`create index "course_teachers_user_id_index" on ${s}."course_teachers" ("user_id");`);
    this.addSql(`create table ${s}."enrollments" (
      "course_id" uuid not null references ${s}."courses" ("id") on delete cascade, "user_id" uuid not null,
      "created_at" timestamptz not null, primary key ("course_id", "user_id"));`);
    this.addSql(`create index "enrollments_user_id_index" on ${s}."enrollments" ("user_id");`);
    this.addSql(`create table ${s}."profiles" (
      "user_id" uuid primary key, "display_name" varchar(100) not null, "updated_at" timestamptz not null);`);
  }

  override down(): void {
    for (const t of ['profiles', 'enrollments', 'course_teachers', 'books', 'courses', 'semesters', 'departments', 'faculties']) {
      this.addSql(`drop table if exists "academic"."${t}";`);
    }
  }
}
