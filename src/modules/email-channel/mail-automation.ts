import type { AutomationHeaders } from '../../integrations/imap';

/** Senders that are machines by convention (RFC 3834 §2, RFC 2142): bounces, list robots, no-reply addresses. */
const ROBOT_LOCAL_PART = /^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?|owner-.+|.+-request)$/i;
const MASS_PRECEDENCE = new Set(['bulk', 'list', 'junk', 'auto_reply']);

/**
 * Mail nobody should get an automatic answer to (RFC 3834 §2): auto-submitted or auto-replied
 * mail, bulk and list mail, mail that already looped (X-Loop), Exchange's "do not auto-reply"
 * (X-Auto-Response-Suppress), bounces (empty Return-Path, multipart/report) and mail from a
 * robot or from one of our own addresses.
 */
export function isAutomatic(headers: AutomationHeaders, from: string, ownAddresses: string[]): boolean {
  const autoSubmitted = headers.autoSubmitted?.toLowerCase().split(';')[0].trim();
  if (autoSubmitted && autoSubmitted !== 'no') return true;
  if (headers.precedence && MASS_PRECEDENCE.has(headers.precedence.toLowerCase())) return true;
  if (headers.xLoop.length || headers.autoResponseSuppress || headers.listId) return true;
  if (headers.returnPath?.replace(/\s/g, '') === '<>') return true;
  if (headers.contentType?.toLowerCase().startsWith('multipart/report')) return true;
  const address = from.toLowerCase();
  return ROBOT_LOCAL_PART.test(address.split('@')[0]) || ownAddresses.some((own) => own.toLowerCase() === address);
}

/** Mail that carries our own X-Loop marker came from us: it is never turned into ticket messages. */
export const carriesOurLoop = (headers: AutomationHeaders, marker: string): boolean =>
  headers.xLoop.some((value) => value.toLowerCase() === marker.toLowerCase());

/** The bare address in `Name <address>` (DEFAULT_FROM_EMAIL's form). */
export const bareAddress = (from: string): string => /<([^>]+)>/.exec(from)?.[1] ?? from.trim();
