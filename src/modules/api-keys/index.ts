export { ApiKey } from './api-key.entity';
export {
  ApiKeyService,
  InvalidApiKeyError,
  createApiKeyStep,
  REVOKED_API_KEYS_CHANNEL,
  revokedApiKeysSource,
} from './api-key.service';
export { ApiKeyUsageRecorder } from './api-key-usage';
export { ApiKeyResolver } from './api-key.resolver';
export { API_KEY_PREFIX } from './api-key-secret';
