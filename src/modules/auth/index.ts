export { AuthService } from './auth.service';
export { AuthResolver } from './auth.resolver';
export { AuthThrottle } from './auth-throttle';
export { SessionService } from './session.service';
export { PasswordHasher } from './password-hasher';
export { verifyAccessToken, InvalidAccessTokenError } from './access-token';
export { newSecureToken, hashSecureToken } from './secure-token';
export { createEndedSessions, ENDED_SESSIONS_CHANNEL, endedSessionsSource } from './ended-sessions';
export { slugCandidates } from './organization-slug';
