import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional, ValidateNested } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { CalendarDate } from '../../core/validation/input-rules.decorators';
import { Contract } from './contract.entity';
import { ContractStatus } from './contract-status';

@InputType({ description: 'Defaults: startDate today (tenant time zone), endDate 12 months after startDate' })
export class ContractTermsInput {
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD' })
  @IsOptional()
  @CalendarDate()
  startDate?: string | null;

  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD, after startDate and not in the past' })
  @IsOptional()
  @CalendarDate()
  endDate?: string | null;
}

@InputType()
export class ContractFilter {
  @Field(() => ContractStatus, {
    nullable: true,
    description: 'EXPIRED matches contracts past endDate that were not terminated',
  })
  @IsOptional()
  status?: ContractStatus;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  customerId?: string;
}

@ArgsType()
export class ContractsArgs extends PaginationArgs {
  @Field(() => ContractFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ContractFilter;
}

@ObjectType()
export class ContractConnection extends ConnectionType(Contract, 'Contract') {
  @Field(() => Int, { description: 'Contracts matching the filter, all pages' })
  totalCount: number;
}
