export {
  EsewaClient,
  EsewaSignatureError,
  esewaSignature,
  paisaOf,
  rupees,
  type EsewaCallback,
  type EsewaClientOptions,
  type EsewaPaymentForm,
  type EsewaStatus,
} from './esewa-client';
export { GatewayRequestError } from '../gateway-http';
