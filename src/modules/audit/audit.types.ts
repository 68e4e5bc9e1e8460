import { IsOptional, Matches, MaxLength, ValidateNested } from 'class-validator';
import { GraphQLJSON } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';

export enum AuditActorKind {
  USER = 'USER',
  API_KEY = 'API_KEY',
  PLATFORM_ADMIN = 'PLATFORM_ADMIN',
  SYSTEM = 'SYSTEM',
  CHANNEL = 'CHANNEL',
  /** A request without credentials inside an organization (e.g. a link from an email). */
  ANONYMOUS = 'ANONYMOUS',
}
registerEnumType(AuditActorKind, {
  name: 'AuditActorKind',
  description: 'Who acted: a person, a key, or the platform',
});

@ObjectType({ description: 'Who caused an audit entry' })
export class AuditActor {
  @Field(() => AuditActorKind)
  kind: AuditActorKind;

  @Field(() => String, {
    nullable: true,
    description: 'The user or API key id, the job name (SYSTEM) or the channel (CHANNEL: email, whatsapp)',
  })
  id: string | null;

  /** The recorded actor string (`user:<id>`, `api_key:<id>`, `system:<job>`, …). */
  raw: string;
}

@ObjectType({ description: 'One changed field: its value before and after (JSON)' })
export class AuditChange {
  @Field()
  field: string;

  @Field(() => GraphQLJSON, { nullable: true })
  before: unknown;

  @Field(() => GraphQLJSON, { nullable: true })
  after: unknown;
}

@ObjectType({ description: 'A domain event of the organization, as its audit log shows it' })
export class AuditEntry {
  @Field(() => ID, { description: 'The event id (also Tenantql-Event-Id of webhooks)' })
  id: string;

  @Field({ description: 'The event type, e.g. member.role_changed' })
  type: string;

  @Field(() => Int, { description: "The payload's version" })
  version: number;

  @Field()
  occurredAt: Date;

  @Field(() => AuditActor)
  actor: AuditActor;

  @Field()
  entityType: string;

  @Field()
  entityId: string;

  @Field(() => [AuditChange], { description: 'Changed fields with before/after; empty when the event has none' })
  changes: AuditChange[];

  @Field(() => GraphQLJSON, { description: "The event's payload (see docs/events.md)" })
  payload: Record<string, unknown>;
}

@InputType({ description: 'Every given criterion must match' })
export class AuditLogFilter {
  @Field(() => String, { nullable: true, description: 'ticket, customer, quote, member, api_key, settings, …' })
  @IsOptional()
  @MaxLength(40)
  entityType?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(64)
  entityId?: string;

  @Field(() => String, {
    nullable: true,
    description: 'An actor as recorded: user:<id>, api_key:<id>, platform_admin, system:<job>, channel:<name>',
  })
  @IsOptional()
  @MaxLength(120)
  @Matches(/^[a-z_]+(:[\w.:-]+)?$/, { message: 'actor must look like user:<id> or system:<job>' })
  actor?: string;

  @Field(() => Date, { nullable: true, description: 'From this instant (inclusive)' })
  @IsOptional()
  from?: Date;

  @Field(() => Date, { nullable: true, description: 'Before this instant (exclusive)' })
  @IsOptional()
  to?: Date;
}

@ArgsType()
export class AuditLogArgs extends PaginationArgs {
  @Field(() => AuditLogFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: AuditLogFilter;
}

@ObjectType()
export class AuditEntryConnection extends ConnectionType(AuditEntry, 'AuditEntry') {}
