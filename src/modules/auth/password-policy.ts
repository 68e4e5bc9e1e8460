import { BadUserInputError } from '../../core/errors/app-error';
import { COMMON_PASSWORDS } from './common-passwords';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** Who the password belongs to: a password equal to their own email or name is as guessable as a common one. */
export interface PasswordOwner {
  email: string;
  firstName?: string;
  lastName?: string;
}

const weak = (message: string) => new BadUserInputError(message, { reason: 'WEAK_PASSWORD' });

/**
 * OWASP: length 8 to 128 (counted in characters, so passphrases in any script
 * work), nothing from the bundled common/breached list, nothing personal.
 * No composition rules: they make passwords harder to remember, not to guess.
 */
export function assertAcceptablePassword(password: string, owner?: PasswordOwner): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) throw weak(`Password must have at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) {
    throw new BadUserInputError(`Password must have at most ${PASSWORD_MAX_LENGTH} characters`, {
      reason: 'PASSWORD_TOO_LONG',
    });
  }
  const lowered = password.toLowerCase();
  if (COMMON_PASSWORDS.has(lowered)) throw weak('This password is too common; choose a less guessable one');
  if (owner) {
    const email = owner.email.trim().toLowerCase();
    const personal = [
      email,
      email.split('@')[0],
      owner.firstName,
      owner.lastName,
      `${owner.firstName ?? ''}${owner.lastName ?? ''}`,
    ]
      .filter((v): v is string => !!v && v.length >= 3)
      .map((v) => v.toLowerCase());
    if (personal.includes(lowered)) throw weak('The password must not be your email address or name');
  }
}
