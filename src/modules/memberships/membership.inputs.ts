import { ArgsType, Field } from 'type-graphql';
import { IsEmail, MaxLength } from 'class-validator';
import { MemberRole } from '../../core/authorization/member-role';

@ArgsType()
export class InviteMemberArgs {
  @Field({ description: 'Where the invitation link is sent; only the account with this address can accept it' })
  @IsEmail()
  @MaxLength(320)
  email: string;

  @Field(() => MemberRole, { description: 'Only an OWNER can invite another OWNER' })
  role: MemberRole;
}
