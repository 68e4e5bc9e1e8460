import { ArrayMaxSize, ArrayMinSize, IsOptional, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  SENDING = 'SENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
}
registerEnumType(WebhookDeliveryStatus, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING (waiting, maybe for a retry), SENDING (an attempt is under way), SENT (2xx), FAILED (given up)',
});

@ObjectType({ description: 'Where the organization is told about its events (docs/webhooks.md)' })
export class WebhookEndpoint {
  @Field(() => ID)
  id: string;

  @Field()
  url: string;

  @Field(() => [String], { description: 'Event types sent here (`*`: every type)' })
  events: string[];

  @Field()
  description: string;

  @Field({ description: 'False once disabled by hand or after repeated failures (the admins were mailed)' })
  enabled: boolean;

  @Field(() => String, { nullable: true })
  disabledReason: string | null;

  @Field(() => Int, { description: 'Failed attempts in a row (0 after any success)' })
  consecutiveFailures: number;

  @Field()
  createdAt: Date;

  @Field()
  updatedAt: Date;
}

@ObjectType({ description: 'An endpoint with its signing secret: the only time the secret is shown' })
export class WebhookEndpointWithSecret {
  @Field(() => WebhookEndpoint)
  endpoint: WebhookEndpoint;

  @Field({ description: 'The HMAC-SHA256 key of Tenantql-Signature, used as this whole string' })
  secret: string;
}

@ObjectType()
export class WebhookDelivery {
  @Field(() => ID)
  id: string;

  @Field(() => ID)
  endpointId: string;

  @Field({ description: 'The event id: also the Tenantql-Event-Id header, the receiver’s idempotency key' })
  eventId: string;

  @Field()
  eventType: string;

  @Field(() => WebhookDeliveryStatus)
  status: WebhookDeliveryStatus;

  @Field(() => Int, { description: 'Attempts made so far' })
  attempts: number;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer (null: none, e.g. a timeout)' })
  responseStatus: number | null;

  @Field(() => Int, { nullable: true, description: 'Milliseconds the last answer took' })
  latencyMs: number | null;

  @Field(() => String, { nullable: true })
  lastError: string | null;

  @Field({ description: 'When the next attempt is due (while PENDING)' })
  nextAttemptAt: Date;

  @Field(() => Date, { nullable: true })
  deliveredAt: Date | null;

  @Field(() => ID, { nullable: true, description: 'The delivery this one replays' })
  replayOf: string | null;

  @Field()
  createdAt: Date;
}

@ObjectType()
export class WebhookDeliveryConnection extends ConnectionType(WebhookDelivery, 'WebhookDelivery') {}

@InputType()
export class CreateWebhookEndpointInput {
  @Field({ description: 'https:// (http:// outside production); never a private or local address' })
  @MaxLength(2000)
  url: string;

  @Field(() => [String], { description: 'Event types (see docs/events.md), or `*` for all' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  events: string[];

  @Field({ defaultValue: '' })
  @MaxLength(500)
  description: string;
}

@InputType()
export class UpdateWebhookEndpointInput {
  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(2000)
  url?: string;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  events?: string[];

  @Field({ nullable: true })
  @IsOptional()
  @MaxLength(500)
  description?: string;

  @Field({ nullable: true, description: 'True re-enables a disabled endpoint (its failure count starts again)' })
  @IsOptional()
  enabled?: boolean;
}

@ArgsType()
export class WebhookDeliveriesArgs extends PaginationArgs {
  @Field(() => ID)
  endpointId: string;
}
