import { AppError } from '../../core/errors/app-error';
import { slugBaseFrom, slugCandidates } from './organization-slug';
import { assertAcceptablePassword } from './password-policy';

const reasonOf = (run: () => void): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof AppError ? String(error.details.reason) : 'unexpected error';
  }
};

describe('password policy', () => {
  const owner = { email: 'Marie.Curie@example.com', firstName: 'Marie', lastName: 'Curie' };

  it('accepts long, uncommon passwords, including passphrases in any script', () => {
    expect(reasonOf(() => assertAcceptablePassword('radium glows in the dark', owner))).toBeUndefined();
    expect(reasonOf(() => assertAcceptablePassword('पासवर्ड सुरक्षित है', owner))).toBeUndefined();
  });

  it.each([
    ['seven c', 'WEAK_PASSWORD'],
    ['qwertyuiop', 'WEAK_PASSWORD'],
    ['P@ssw0rd1', 'WEAK_PASSWORD'],
    ['marie.curie', 'WEAK_PASSWORD'],
    ['MarieCurie', 'WEAK_PASSWORD'],
    ['x'.repeat(129), 'PASSWORD_TOO_LONG'],
  ])('refuses %j (%s)', (password, reason) => {
    expect(reasonOf(() => assertAcceptablePassword(password, owner))).toBe(reason);
  });

  it('counts characters, not bytes: 8 multi-byte characters are enough, 129 are too many', () => {
    expect(reasonOf(() => assertAcceptablePassword('ñandúñan'))).toBeUndefined();
    expect(reasonOf(() => assertAcceptablePassword('é'.repeat(128)))).toBeUndefined();
  });
});

describe('organization slugs from business names', () => {
  it.each([
    ['Analytical Engines Ltd.', 'analytical-engines-ltd'],
    ['Café Ñandú & Co', 'cafe-nandu-co'],
    ['  --Admin--  ', 'admin'],
    ['AB', 'ab-org'],
    ['日本株式会社', 'org'],
    ['A'.repeat(80), 'a'.repeat(40)],
  ])('%j → %j', (name, slug) => {
    expect(slugBaseFrom(name)).toBe(slug);
  });

  it('offers the plain slug first, then suffixed variants', () => {
    const [plain, ...rest] = slugCandidates('Acme', 3);
    expect(plain).toBe('acme');
    expect(rest).toHaveLength(3);
    for (const candidate of rest) expect(candidate).toMatch(/^acme-[a-z0-9]{5}$/);
  });
});
