import {
  ArrayMaxSize,
  ArrayMinSize,
  IsEmail,
  IsInt,
  IsISO4217CurrencyCode,
  IsLocale,
  IsPhoneNumber,
  IsTimeZone,
  IsUrl,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { InputType, Int } from 'type-graphql';
import { NotBlank, PatchField } from '../../core/validation/input-rules.decorators';
import { BusinessHours } from './business-hours';

@InputType({ description: 'Only the fields given change' })
export class UpdateTenantSettingsInput {
  @PatchField(() => String, { clearable: true })
  @Length(1, 200)
  @NotBlank()
  legalName?: string | null;

  @PatchField(() => String, { clearable: true })
  @Length(1, 500)
  @NotBlank()
  address?: string | null;

  @PatchField(() => String, {
    clearable: true,
    description: 'International format with the country code, e.g. +977 1 4412345',
  })
  @MaxLength(40)
  @IsPhoneNumber(undefined, { message: 'phone must be a phone number in international format (+ and country code)' })
  phone?: string | null;

  @PatchField(() => String, { description: 'IANA time zone, e.g. Asia/Kathmandu' })
  @MaxLength(64)
  @IsTimeZone()
  timezone?: string;

  @PatchField(() => String, { description: 'ISO 4217 currency code, e.g. NPR' })
  @IsISO4217CurrencyCode()
  currency?: string;

  @PatchField(() => String, { description: 'BCP 47 language tag, e.g. ne-NP' })
  @MaxLength(35)
  @IsLocale()
  locale?: string;

  @PatchField(() => String, { clearable: true, description: 'https:// URL of the logo image' })
  @MaxLength(2048)
  @IsUrl({ protocols: ['https'], require_protocol: true }, { message: 'logoUrl must be an https:// URL' })
  logoUrl?: string | null;

  @PatchField(() => String, { clearable: true })
  @IsEmail()
  @MaxLength(320)
  supportEmail?: string | null;

  @PatchField(() => [BusinessHours], {
    description:
      'The whole week, replacing the current hours; business-hours SLAs count only these minutes (in `timezone`)',
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  businessHours?: BusinessHours[];

  @PatchField(() => Int, { description: 'Days from issue to due date of new invoices, 0 (due on receipt) to 365' })
  @IsInt()
  @Min(0)
  @Max(365)
  paymentTermsDays?: number;
}
