import { registerEnumType } from 'type-graphql';

/** DRAFT → ACTIVE → TERMINATED. EXPIRED is never stored: it is read from `endDate`. */
export enum ContractStatus {
  DRAFT = 'DRAFT',
  ACTIVE = 'ACTIVE',
  TERMINATED = 'TERMINATED',
  EXPIRED = 'EXPIRED',
}

registerEnumType(ContractStatus, { name: 'ContractStatus' });

/** `today` and `endDate` are ISO dates in the tenant's time zone; the end date is the last day in force. */
export function effectiveContractStatus(stored: ContractStatus, endDate: string, today: string): ContractStatus {
  return stored !== ContractStatus.TERMINATED && endDate < today ? ContractStatus.EXPIRED : stored;
}

/** The same rule in SQL (alias `c`, parameter `:today`), for filters. */
export const EFFECTIVE_CONTRACT_STATUS_SQL =
  "CASE WHEN c.status <> 'TERMINATED' AND c.end_date < :today THEN 'EXPIRED' ELSE c.status END";
