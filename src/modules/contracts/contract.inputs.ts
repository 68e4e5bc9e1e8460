import { ArgsType, Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { IsISO8601, IsOptional, Matches, ValidateNested } from 'class-validator';
import { ConnectionType, PaginationArgs } from '../../core/graphql/connection';
import { Contract } from './contract.entity';
import { ContractStatus } from './contract-status';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

@InputType({ description: 'Defaults: startDate today (tenant time zone), endDate 12 months after startDate' })
export class ContractTermsInput {
  @Field({ nullable: true, description: 'YYYY-MM-DD' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(ISO_DATE, { message: 'startDate must be a date YYYY-MM-DD' })
  startDate?: string;

  @Field({ nullable: true, description: 'YYYY-MM-DD, after startDate and not in the past' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(ISO_DATE, { message: 'endDate must be a date YYYY-MM-DD' })
  endDate?: string;
}

@InputType()
export class ContractFilter {
  @Field(() => ContractStatus, { nullable: true, description: 'EXPIRED matches contracts past endDate that were not terminated' })
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
