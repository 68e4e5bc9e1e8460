export {
  KhaltiClient,
  type KhaltiClientOptions,
  type KhaltiInitiation,
  type KhaltiLookup,
  type KhaltiStatus,
} from './khalti-client';
export { GatewayRequestError } from '../gateway-http';
