import { ErrorCode } from './error-code';

export type ErrorDetails = Record<string, unknown>;

/**
 * Base of every error a service throws on purpose. The message is safe to show
 * to the caller; `details` become `extensions` next to the code.
 */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required', details?: ErrorDetails) {
    super(ErrorCode.UNAUTHENTICATED, message, details);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Not allowed', details?: ErrorDetails) {
    super(ErrorCode.FORBIDDEN, message, details);
  }
}

export class BadUserInputError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(ErrorCode.BAD_USER_INPUT, message, details);
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id?: string) {
    super(ErrorCode.NOT_FOUND, id ? `${entity} ${id} not found` : `${entity} not found`, { entity });
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details?: ErrorDetails) {
    super(ErrorCode.CONFLICT, message, details);
  }
}

export class LimitExceededError extends AppError {
  constructor(message: string, details: ErrorDetails) {
    super(ErrorCode.LIMIT_EXCEEDED, message, details);
  }
}

export class PlanUpgradeRequiredError extends AppError {
  constructor(message: string, details: ErrorDetails) {
    super(ErrorCode.PLAN_UPGRADE_REQUIRED, message, details);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number) {
    super(ErrorCode.RATE_LIMITED, 'Too many requests', { retryAfter: retryAfterSeconds });
  }
}

/**
 * A fault that is not the caller's. Its message must be safe to show (say what
 * failed, not why); the underlying error goes in `cause` and is only logged.
 */
export class InternalError extends AppError {
  constructor(message: string, details?: ErrorDetails, cause?: unknown) {
    super(ErrorCode.INTERNAL_SERVER_ERROR, message, details, { cause });
  }
}
