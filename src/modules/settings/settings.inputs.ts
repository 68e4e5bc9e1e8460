import {
  ArrayMaxSize,
  ArrayMinSize,
  IsEmail,
  IsInt,
  IsISO4217CurrencyCode,
  IsLocale,
  IsOptional,
  IsPhoneNumber,
  IsTimeZone,
  IsUrl,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { Field, InputType, Int } from 'type-graphql';
import { BusinessHours } from './business-hours';

const NOT_BLANK = /\S/;

@InputType({ description: 'Only the fields given change; null clears an optional field' })
export class UpdateTenantSettingsInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: 'legalName must not be blank' })
  legalName?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'address must not be blank' })
  address?: string | null;

  @Field(() => String, { nullable: true, description: 'International format with the country code, e.g. +977 1 4412345' })
  @IsOptional()
  @MaxLength(40)
  @IsPhoneNumber(undefined, { message: 'phone must be a phone number in international format (+ and country code)' })
  phone?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Asia/Kathmandu' })
  @IsOptional()
  @MaxLength(64)
  @IsTimeZone()
  timezone?: string;

  @Field(() => String, { nullable: true, description: 'ISO 4217 currency code, e.g. NPR' })
  @IsOptional()
  @IsISO4217CurrencyCode()
  currency?: string;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. ne-NP' })
  @IsOptional()
  @MaxLength(35)
  @IsLocale()
  locale?: string;

  @Field(() => String, { nullable: true, description: 'https:// URL of the logo image' })
  @IsOptional()
  @MaxLength(2048)
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'logoUrl must be an https:// URL' })
  logoUrl?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail()
  @MaxLength(320)
  supportEmail?: string | null;

  @Field(() => [BusinessHours], {
    nullable: true,
    description: 'The whole week, replacing the current hours; business-hours SLAs count only these minutes (in `timezone`)',
  })
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  businessHours?: BusinessHours[];

  @Field(() => Int, { nullable: true, description: 'Days from issue to due date of new invoices, 0 (due on receipt) to 365' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(365)
  paymentTermsDays?: number;
}
