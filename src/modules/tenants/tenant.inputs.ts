import { Field, InputType, ObjectType } from 'type-graphql';
import { Length, Matches, NotContains } from 'class-validator';
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
}

@ObjectType()
export class DeleteTenantResult {
  @Field()
  deleted: boolean;

  @Field(() => String, { nullable: true, description: 'Path of the pg_dump backup taken before the drop' })
  backupPath: string | null;
}
