import { Field, ID, ObjectType } from 'type-graphql';
import { MemberRole } from '../users';

@ObjectType({ description: 'A person in the organization and their role' })
export class Member {
  @Field(() => ID)
  userId: string;

  @Field()
  email: string;

  @Field()
  firstName: string;

  @Field()
  lastName: string;

  @Field(() => MemberRole)
  role: MemberRole;

  @Field({ description: 'When they joined' })
  joinedAt: Date;
}
