import { Field, ID, ObjectType } from 'type-graphql';
import { MemberRole } from '../../core/authorization/member-role';

@ObjectType({ description: "A person in the organization and their role: only this organization's view of them" })
export class Member {
  @Field(() => ID, { description: 'The user id (stable, so clients cache members by id)' })
  id: string;

  @Field(() => ID)
  userId: string;

  @Field({ description: 'First and last name' })
  name: string;

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
