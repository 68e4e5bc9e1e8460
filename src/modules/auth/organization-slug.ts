import { randomInt } from 'node:crypto';

const MAX_BASE_LENGTH = 40;
const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** "Café Ñandú & Co." → "cafe-nandu-co": ASCII letters and digits joined by single hyphens, at least 3 characters. */
export function slugBaseFrom(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_BASE_LENGTH)
    .replace(/^-+|-+$/g, '');
  if (base.length >= 3) return base;
  return base ? `${base}-org` : 'org';
}

/** The plain slug first, then the same with a short random suffix (`acme-x7k2q`) for as many retries as asked. */
export function slugCandidates(name: string, retries: number): string[] {
  const base = slugBaseFrom(name);
  const suffix = () => Array.from({ length: 5 }, () => SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)]).join('');
  return [base, ...Array.from({ length: retries }, () => `${base}-${suffix()}`)];
}
