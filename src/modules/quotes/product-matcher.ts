import type { EntityManager } from 'typeorm';
import { requestParts, statedQuantity } from './product-matcher-request';

/** Candidates kept per request part (the best one becomes its line; the LLM sees them all). */
const CANDIDATES_PER_PART = 20;
/** The LLM is shown at most this many products. */
const MAX_LLM_CANDIDATES = 50;

/** An active catalog product in the quote's currency that matches words of the request. */
export interface MatchedProduct {
  id: string;
  sku: string;
  name: string;
  unit: string;
  unitPrice: string;
  isOwnProduct: boolean;
  /** How many distinct words (lexemes) of its request part the product carries. */
  matchedTerms: number;
  /** PostgreSQL ts_rank against the part (weights: SKU and name over description). */
  rank: number;
}

export interface ProposedLine {
  productId: string;
  quantity: string;
  description?: string;
}

export interface CatalogMatch {
  /** One line per request part that matched, in request order; empty when nothing matched. */
  lines: ProposedLine[];
  /** Every candidate, best first per part, each once: what an LLM may choose from. */
  candidates: MatchedProduct[];
}

interface CandidateRow {
  part: number;
  id: string;
  sku: string;
  name: string;
  unit: string;
  unit_price: string;
  is_own_product: boolean;
  matched_terms: number;
  rank: number;
}

/**
 * Each part's words, stemmed as the products' `search` column is (English for name and
 * description, 'simple' for the SKU), ORed into one tsquery (numbers are quantities, not
 * words); the GIN index finds the products, best first: most of the part's words, then the
 * tenant's own products, then ts_rank, then SKU and id so ties always break the same way.
 */
const CANDIDATES_SQL = `
  SELECT s.ord::int AS part, c.*
    FROM unnest($1::text[]) WITH ORDINALITY AS s(text, ord)
   CROSS JOIN LATERAL (
     SELECT array_agg(DISTINCT l) AS terms, array_to_string(array_agg(DISTINCT quote_literal(l)), ' | ')::tsquery AS query
       FROM unnest(tsvector_to_array(to_tsvector('english', s.text) || to_tsvector('simple', s.text))) AS l
      WHERE l !~ '^[0-9.,]+$'
   ) t
   CROSS JOIN LATERAL (
     -- The lexemes the product shares with the part: all of its own minus those that are not the part's.
     SELECT p.id, p.sku, p.name, p.unit, p.unit_price, p.is_own_product,
            length(p.search) - length(ts_delete(p.search, t.terms)) AS matched_terms,
            ts_rank(p.search, t.query) AS rank
       FROM products p
      WHERE p.search @@ t.query AND p.active AND p.currency = $2
      ORDER BY matched_terms DESC, p.is_own_product DESC, rank DESC, p.sku, p.id
      LIMIT $3
   ) c
   ORDER BY s.ord, c.matched_terms DESC, c.is_own_product DESC, c.rank DESC, c.sku, c.id`;

/**
 * The deterministic quote drafter: each part of the request ("50 metres of Cat6 cable,
 * 3 access points") becomes one line with the best product for it and the quantity the
 * part states (else 1). Same catalog and request, same lines.
 */
export class ProductMatcher {
  async match(em: EntityManager, request: string, currency: string): Promise<CatalogMatch> {
    const parts = requestParts(request);
    if (!parts.length) return { lines: [], candidates: [] };
    const rows: CandidateRow[] = await em.query(CANDIDATES_SQL, [parts, currency, CANDIDATES_PER_PART]);
    const byPart = parts.map((_, i) => rows.filter((row) => row.part === i + 1).map(toMatchedProduct));
    return { lines: chooseLines(parts, byPart), candidates: distinct(byPart.flat()).slice(0, MAX_LLM_CANDIDATES) };
  }
}

/** Each part takes its best candidate not already used by an earlier part. */
function chooseLines(parts: string[], candidatesByPart: MatchedProduct[][]): ProposedLine[] {
  const used = new Set<string>();
  const lines: ProposedLine[] = [];
  for (const [i, candidates] of candidatesByPart.entries()) {
    const best = candidates.find((candidate) => !used.has(candidate.id));
    if (!best) continue;
    used.add(best.id);
    lines.push({ productId: best.id, quantity: statedQuantity(parts[i]) ?? '1' });
  }
  return lines;
}

function distinct(products: MatchedProduct[]): MatchedProduct[] {
  const seen = new Set<string>();
  return products.filter((product) => !seen.has(product.id) && seen.add(product.id));
}

const toMatchedProduct = (row: CandidateRow): MatchedProduct => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  unit: row.unit,
  unitPrice: row.unit_price,
  isOwnProduct: row.is_own_product,
  matchedTerms: row.matched_terms,
  rank: Number(row.rank),
});
