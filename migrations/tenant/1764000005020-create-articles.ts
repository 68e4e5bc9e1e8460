import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Knowledge-base articles with full-text search, and the articles linked to tickets. */
export class CreateArticles1764000005020 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE articles (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        title varchar(300) NOT NULL,
        body text NOT NULL,
        category varchar(100),
        tags text[] NOT NULL DEFAULT '{}',
        status varchar(10) NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'PUBLISHED', 'ARCHIVED')),
        -- Kept by PostgreSQL itself, so no write path can leave it stale; title words weigh more.
        search_vector tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')
        ) STORED,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX articles_search_idx ON articles USING GIN (search_vector)');
    await q.query('CREATE INDEX articles_created_at_id_idx ON articles (created_at, id)');
    await q.query(`
      CREATE TABLE ticket_articles (
        ticket_id uuid NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        article_id uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        linked_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (ticket_id, article_id)
      )`);
    await q.query('CREATE INDEX ticket_articles_article_idx ON ticket_articles (article_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ticket_articles');
    await q.query('DROP TABLE articles');
  }
}
