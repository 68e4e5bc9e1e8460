import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { IsEmail, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { NotBlank } from '../../core/validation/input-rules.decorators';

/** A DNS name or an IPv4 address (no scheme, no port). */
const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** IMAP folder names: printable, no control characters. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what a folder name may not hold
const FOLDER = /^[^\u0000-\u001f\u007f]+$/;

@InputType({ description: 'Configures (or reconfigures) the support mailbox; ADMIN only' })
export class ConfigureEmailChannelInput {
  @Field()
  @Matches(HOST, { message: 'imapHost must be a host name or an IPv4 address' })
  imapHost: string;

  @Field(() => Int, { defaultValue: 993 })
  @Min(1)
  @Max(65535)
  imapPort: number = 993;

  @Field({ defaultValue: true, description: 'Implicit TLS; false only for servers on a trusted network' })
  secure: boolean = true;

  @Field()
  @Length(1, 320)
  @NotBlank()
  username: string;

  @Field(() => String, {
    nullable: true,
    description: 'Required the first time; omitted later: the stored one is kept',
  })
  @IsOptional()
  @Length(1, 1000)
  password?: string | null;

  @Field({ defaultValue: 'INBOX' })
  @Length(1, 200)
  @Matches(FOLDER, { message: 'folder must not contain control characters' })
  @NotBlank()
  folder: string = 'INBOX';

  @Field(() => String, {
    nullable: true,
    description: 'The mailbox address; defaults to username when that is an email address',
  })
  @IsOptional()
  @IsEmail()
  @Length(3, 320)
  emailAddress?: string | null;

  @Field({ defaultValue: true })
  pollEnabled: boolean = true;
}

@ObjectType({
  description: 'testEmailChannel: whether the mailbox could be logged in to and its folder opened just now',
})
export class EmailChannelTestResult {
  @Field()
  ok: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'What failed (authentication, unreachable, TLS, folder missing); never the password',
  })
  error: string | null;
}
