import { Migration } from '@mikro-orm/migrations';

/**
 * Vectors as packed float32 (big-endian, as `float4send` writes them) instead of `real[]`: a
 * course's vectors are read in one go and scored in the retrieval process, which is far faster
 * than unnesting arrays in SQL.
 */
export class Migration20261127050000_vector_bytes extends Migration {
  override up(): void {
    this.addSql(`alter table "retrieval"."chunk_vectors" add column "vector" bytea null;`);
    this.addSql(`update "retrieval"."chunk_vectors" set "vector" =
      (select string_agg(float4send(x), ''::bytea order by o) from unnest("embedding") with ordinality as t(x, o));`);
    this.addSql(`alter table "retrieval"."chunk_vectors" drop column "embedding";`);
    this.addSql(`alter table "retrieval"."chunk_vectors" alter column "vector" set not null;`);
  }

  override down(): void {
    // SQL cannot decode float4 bytes; going back empties the vectors (re-upload the books).
    this.addSql(`alter table "retrieval"."chunk_vectors" drop column "vector";`);
    this.addSql(`alter table "retrieval"."chunk_vectors" add column "embedding" real[] not null default '{}';`);
  }
}
