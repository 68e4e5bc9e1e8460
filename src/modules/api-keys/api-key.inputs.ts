import { ArrayMaxSize, ArrayMinSize, IsOptional, Length } from 'class-validator';
import { Field, InputType, ObjectType } from 'type-graphql';
import { NotBlank } from '../../core/validation/input-rules.decorators';
import { ApiKey } from './api-key.entity';

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for, 1 to 100 characters' })
  @Length(1, 100)
  @NotBlank()
  name: string;

  @Field(() => [String], { description: 'At least one, e.g. customers:read, customers:write' })
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  scopes: string[];

  @Field(() => Date, { nullable: true, description: 'When the key stops working; omit for a key that does not expire' })
  @IsOptional()
  expiresAt?: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKey)
  apiKey: ApiKey;

  @Field({ description: 'The key itself. Shown only now: store it safely, it cannot be retrieved later' })
  secret: string;
}
