import { Field, InputType, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, MaxLength, NotContains } from 'class-validator';
import { PlanCode } from '../plans';
import { SLUG_MAX_LENGTH, SLUG_PATTERN } from '../../core/tenancy/tenant-schema';
import { NotBlank } from '../../core/validation/input-rules.decorators';

@InputType()
export class CreateTenantInput {
  @Field({ description: 'Display name, 1 to 200 characters' })
  @Length(1, 200)
  @NotBlank()
  name: string;

  @Field({ description: 'Lowercase letters, digits and single hyphens, 3 to 63 characters' })
  @Length(3, SLUG_MAX_LENGTH)
  @Matches(SLUG_PATTERN, { message: 'slug must be lowercase letters, digits and single hyphens' })
  @NotContains('--')
  slug: string;

  @Field(() => String, {
    nullable: true,
    description: "Platform admin: the identity provider's organization id (e.g. Clerk's org_…), unique per provider",
  })
  @IsOptional()
  @Length(1, 255)
  @Matches(/^[A-Za-z0-9_.:|-]+$/, { message: 'externalOrganizationId has unsupported characters' })
  externalOrganizationId?: string;

  @Field(() => PlanCode, { nullable: true, description: 'Platform admin: start on this plan, ACTIVE (no trial)' })
  @IsOptional()
  plan?: PlanCode;

  @Field(() => String, {
    nullable: true,
    description: 'Platform admin: the first OWNER — added at once when the account exists, invited by email otherwise',
  })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  ownerEmail?: string;
}

@ObjectType()
export class DeleteTenantResult {
  @Field()
  deleted: boolean;

  @Field(() => String, { nullable: true, description: 'Path of the pg_dump backup taken before the drop' })
  backupPath: string | null;
}
