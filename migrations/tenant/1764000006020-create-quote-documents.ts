import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Immutable versions of a quote's documents: only ever inserted; the highest version is current. */
export class CreateQuoteDocuments1764000006020 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE quote_document_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        quote_id uuid NOT NULL REFERENCES quotes (id) ON DELETE CASCADE,
        type varchar(30) NOT NULL CHECK (type IN ('QUOTE', 'SCOPE_OF_WORK', 'TERMS_AND_CONDITIONS', 'COVER_LETTER')),
        version integer NOT NULL CHECK (version > 0),
        content text NOT NULL,
        created_by varchar(80) NOT NULL,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        UNIQUE (quote_id, type, version)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE quote_document_versions');
  }
}
