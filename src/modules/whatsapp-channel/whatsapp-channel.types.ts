import { Field, InputType, ObjectType } from 'type-graphql';
import { Length, Matches } from 'class-validator';

/** Where Meta must send the webhook: appended to this API's public origin. */
export const WHATSAPP_WEBHOOK_PATH = '/api/v1/whatsapp/webhook';

@InputType({
  description: 'Credentials of a WhatsApp Cloud API number (Meta app dashboard); stored encrypted, never returned',
})
export class ConfigureWhatsAppChannelInput {
  @Field({ description: "Meta's phone number id (not the phone number); CONFLICT when another organization uses it" })
  @Matches(/^\d{5,40}$/, { message: "phoneNumberId must be the digits of Meta's phone number id" })
  phoneNumberId: string;

  @Field({ description: 'A system-user access token with whatsapp_business_messaging' })
  @Length(10, 4096)
  accessToken: string;

  @Field({ description: 'What you typed as "Verify token" in the webhook settings; at least 16 characters' })
  @Length(16, 200)
  verifyToken: string;

  @Field({ description: "The Meta app's secret: it signs every webhook delivery" })
  @Length(16, 200)
  appSecret: string;
}

@ObjectType({ description: "The organization's WhatsApp number (secrets are never returned)" })
export class WhatsAppChannel {
  @Field()
  phoneNumberId: string;

  @Field({
    description: `Path of the webhook to set in Meta's dashboard, after this API's public origin (${WHATSAPP_WEBHOOK_PATH})`,
  })
  webhookPath: string;

  @Field(() => String, {
    nullable: true,
    description: 'The latest failure to send a reply or to apply a received event',
  })
  lastError: string | null;

  @Field(() => Date, { nullable: true, description: 'When Meta last delivered a verified event for this number' })
  lastReceivedAt: Date | null;

  @Field()
  configuredAt: Date;

  @Field()
  updatedAt: Date;
}
